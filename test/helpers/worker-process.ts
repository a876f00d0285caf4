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
import { workerProcessEnv } from './worker-process-env.ts';

const env = process.env;
const config = loadConfig(
  {
    ...workerProcessEnv(env),
    SHUTDOWN_GRACE_MS: env.TEST_GRACE_MS ?? '500',
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
