// A worker in its own process, for the crash and shutdown tests: the real core and worker role,
// answering for a recording platform whose writes land in Redis where the test reads them.
// Run with: node --experimental-strip-types test/helpers/worker-process.ts (environment below).
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { createCore } from '../../src/runtime/core.ts';
import { startWorkerRole } from '../../src/runtime/worker-role.ts';
import { onShutdownSignal } from '../../src/cli/shutdown.ts';
import { RecordingPlatform, RedisRecordingStore } from '../fakes/recording-platform.ts';

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
    SHUTDOWN_GRACE_MS: env.TEST_GRACE_MS ?? '500',
    HEALTH_PORT: '0',
    OFOX_BOT_CONFIG: '',
  },
  '/nonexistent/.env',
);
const log = createLogger({ level: config.LOG_LEVEL, destination: undefined });
const core = await createCore({ config, log, env: {} });
const storeRedis = createRedisConnection(config.REDIS_URL, 'client');
const platform = new RecordingPlatform({ store: new RedisRecordingStore(storeRedis, env.TEST_STORE_KEY ?? `${config.REDIS_KEY_PREFIX}:store`) });
const workers = await startWorkerRole(core, [platform]);
onShutdownSignal(log, async () => {
  await workers.stop(config.SHUTDOWN_GRACE_MS);
  await core.close();
  storeRedis.disconnect();
});
process.stdout.write('ready\n');
