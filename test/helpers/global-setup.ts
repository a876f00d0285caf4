import type { TestProject } from 'vitest/node';
import { findTestRedis } from './redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await findTestRedis();
  project.provide('redisUrl', redis.url);
  // Child processes the tests spawn (a worker to SIGKILL, say) find Redis the same way.
  process.env.TEST_REDIS_URL = redis.url;
  return () => redis.stop();
}
