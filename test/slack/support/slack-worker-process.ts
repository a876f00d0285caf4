// A Slack worker in its own process, for tests that kill a worker mid-answer: the real core and
// worker role with the real Slack ports, writing to the fake Slack the test runs (SLACK_API_URL).
// Run with: node --experimental-strip-types test/slack/support/slack-worker-process.ts (environment below).
import '../../../src/cli/platforms.ts';
import { createSlackPorts, RedisStreamStateStore } from '../../../adapters/slack/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createCore } from '../../../src/runtime/core.ts';
import { startWorkerRole } from '../../../src/runtime/worker-role.ts';

const env = process.env;
const config = loadConfig(
  {
    NODE_ENV: 'test',
    LOG_LEVEL: env.TEST_LOG_LEVEL ?? 'silent',
    OFOX_API_KEY: env.TEST_OFOX_KEY,
    OFOX_BASE_URL: env.TEST_OFOX_URL,
    OFOX_RETRY_BASE_MS: '10',
    OFOX_REQUESTS_PER_MINUTE: '100000',
    REDIS_URL: env.TEST_REDIS_URL,
    REDIS_KEY_PREFIX: env.TEST_PREFIX,
    WORKER_INSTANCES: '1',
    JOB_LOCK_MS: env.TEST_LOCK_MS ?? '2000',
    HEALTH_PORT: '0',
    OFOX_BOT_CONFIG: '',
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
