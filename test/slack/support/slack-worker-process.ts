// A Slack worker in its own process, for tests that kill a worker mid-answer: the real core and
// worker role with the real Slack ports, writing to the fake Slack the test runs (SLACK_API_URL).
// Run with: node --experimental-strip-types test/slack/support/slack-worker-process.ts (environment below).
import '../../../src/cli/platforms.ts';
import { createSlackPorts, RedisStreamStateStore } from '../../../adapters/slack/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createCore } from '../../../src/runtime/core.ts';
import { startWorkerRole } from '../../../src/runtime/worker-role.ts';
import { workerProcessEnv } from '../../helpers/worker-process-env.ts';

const env = process.env;
const config = loadConfig(
  {
    ...workerProcessEnv(env),
    SLACK_BOT_TOKEN: env.TEST_SLACK_TOKEN,
    SLACK_API_URL: env.TEST_SLACK_URL,
    SLACK_STREAM_MAX_AGE_MS: env.TEST_SLACK_STREAM_MAX_AGE_MS,
    PORT: '0',
  },
  '/nonexistent/.env',
);
const log = createLogger({ level: config.LOG_LEVEL, destination: undefined });
const core = await createCore({ config, log, env: {} });
const ports = createSlackPorts(config, log, { streamStates: new RedisStreamStateStore(core.redis, { prefix: config.REDIS_KEY_PREFIX }) });
await startWorkerRole(core, [ports]);
process.stdout.write('ready\n');
