import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { redisAnswers } from '../queue/redis-ping.ts';

/**
 * A private `redis-server` for the single-process roles (`start`, `ask`) when no Redis is configured:
 * on a unix socket of its own (no port to collide with, reachable only by this user), the
 * append-only file on and `noeviction` as BullMQ needs, its data under the user's state directory
 * so the next run finds its queue and settings again. It lives in its own process group, so a
 * Ctrl-C in the terminal reaches the bot, which drains and then stops Redis last.
 */

export interface EmbeddedRedisOptions {
  /** `$XDG_STATE_HOME/ofox-bot` or `~/.local/state/ofox-bot`; see `stateDirectory`. */
  stateDir: string;
  /** Where to look for `redis-server`. */
  pathEnv: string | undefined;
  /** @defaultValue 10_000 */
  startTimeoutMs?: number;
}

export const EMBEDDED_REDIS_DEFAULTS = {
  startTimeoutMs: 10_000,
} as const;

export interface EmbeddedRedis {
  /** The socket path, which ioredis accepts wherever a URL goes. */
  url: string;
  /** Data directory (append-only file, log). */
  dir: string;
  /** False when another ofox-bot process's embedded Redis was already serving this directory. */
  owned: boolean;
  pid: number | undefined;
  /** Stops the server (SIGTERM: Redis flushes the append-only file and exits). */
  stop(): Promise<void>;
}

/** No `redis-server` to start; the message says how to get one, in two lines. */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
  constructor() {
    super(
      'No Redis answers on 127.0.0.1:6379 and there is no redis-server on PATH to start a private one.\n' +
        'Install it (apt install redis-server · brew install redis · dnf install redis) or run one with Docker (docker run -d -p 6379:6379 redis:7), or set REDIS_URL.',
    );
  }
}

export class EmbeddedRedisError extends Error {
  override name = 'EmbeddedRedisError';
}

export function stateDirectory(env: Record<string, string | undefined>): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'ofox-bot');
}

export function findOnPath(binary: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A socket path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = join(options.stateDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'redis.sock');
  if (socket.length > MAX_SOCKET_PATH) throw new EmbeddedRedisError(`the state directory path is too long for a Redis socket (${socket}); set XDG_STATE_HOME to a shorter directory, or set REDIS_URL`);
  // Another ofox-bot run (an `ask` beside a `start`) already serves this directory: share it.
  if (await redisAnswers(socket, 500)) return { url: socket, dir, owned: false, pid: undefined, stop: async () => {} };

  const binary = findOnPath('redis-server', options.pathEnv);
  if (!binary) throw new RedisServerMissingError();
  const child = spawn(
    binary,
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--logfile', 'redis.log'],
    { cwd: dir, detached: true, stdio: 'ignore' },
  );
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  // However the bot ends (a signal handled, an exit code), the server goes with it.
  const stopOnExit = () => void kill(child);
  process.once('exit', stopOnExit);

  const deadline = Date.now() + (options.startTimeoutMs ?? EMBEDDED_REDIS_DEFAULTS.startTimeoutMs);
  while (!(await redisAnswers(socket, 300))) {
    if (exited || Date.now() > deadline) {
      kill(child);
      process.off('exit', stopOnExit);
      throw new EmbeddedRedisError(`the private redis-server (${binary}) did not start: ${lastLogLine(dir) ?? 'no log line'} (log: ${join(dir, 'redis.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: socket,
    dir,
    owned: true,
    pid: child.pid,
    async stop() {
      process.off('exit', stopOnExit);
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      kill(child);
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    },
  };
}

function kill(child: ChildProcess): void {
  try {
    child.kill('SIGTERM');
  } catch {
    // already gone
  }
}


function lastLogLine(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'redis.log'), 'utf8').trim().split('\n').at(-1)?.replace(/^\d+:\w \d+ \w+ \d+ [\d:.]+ [*#.-] /, '');
  } catch {
    return undefined;
  }
}
