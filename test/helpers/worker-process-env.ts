/**
 * The configuration every worker-in-its-own-process script of the tests starts from (the crash,
 * shutdown and Slack kill tests): the test's OfoxAI, Redis and key prefix, one worker, a short job
 * lock, no health port and no tools file. Each script adds its platform's variables.
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return {
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
  };
}
