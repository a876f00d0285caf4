import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { redisAnswers } from '../../src/queue/redis-ping.ts';

/**
 * Finds a Redis for the tests, in this order: REDIS_URL; 127.0.0.1:6379 if it answers; a private
 * redis-server on a free port (installed with apt-get when missing). Fails with a clear message.
 */

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** Redis answers PING at `url` (the bot's own check, used by the tests' set-up). */
export function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  return redisAnswers(url, timeoutMs);
}

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = `${dir}/${binary}`;
    if (dir && existsSync(candidate)) return candidate;
  }
  for (const candidate of [`/usr/bin/${binary}`, `/usr/sbin/${binary}`, `/usr/local/bin/${binary}`]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function installRedisServer(): void {
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 180_000 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], {
      stdio: 'ignore',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    // reported below as "no redis-server"
  }
}

async function startPrivateRedis(): Promise<TestRedis> {
  let binary = which('redis-server');
  if (!binary) {
    installRedisServer();
    binary = which('redis-server');
  }
  if (!binary) {
    throw new Error(
      'Tests need Redis: set REDIS_URL, run Redis on 127.0.0.1:6379, or install redis-server (apt-get install redis-server). None was available.',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await pingRedis(url, 500)) {
      return {
        url,
        async stop() {
          child.kill('SIGTERM');
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Started ${binary} on port ${port}, but it never answered PING.`);
}

export async function findTestRedis(): Promise<TestRedis> {
  const configured = process.env.REDIS_URL;
  if (configured) {
    if (!(await pingRedis(configured))) throw new Error(`REDIS_URL is set to ${redactedUrl(configured)}, but nothing answers PING there.`);
    return { url: configured, stop: async () => {} };
  }
  const local = 'redis://127.0.0.1:6379';
  if (await pingRedis(local)) return { url: local, stop: async () => {} };
  return startPrivateRedis();
}

function redactedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = 'redacted';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
