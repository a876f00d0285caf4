import { redactUrl } from '../config.ts';
import { describeConnectionError } from '../observability/dependency-state.ts';
import { startEmbeddedRedis, stateDirectory, type EmbeddedRedis } from '../runtime/embedded-redis.ts';
import { UserFacingError } from './user-facing-error.ts';
import { pingRedis, redisAnswers } from '../queue/redis-ping.ts';

/**
 * Which Redis a command uses, decided before anything connects:
 * - `REDIS_URL` set: that one, always; checked with a few bounded attempts, then a readable exit.
 * - unset: 127.0.0.1:6379 if it answers; otherwise `start` and `ask` (single process) run a private
 *   `redis-server`, while `gateway` and `worker` refuse: they share state across processes and need a
 *   Redis every one of them reaches.
 * - `REDIS_URL=embedded`: the private server even when something answers on 6379.
 */

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const EMBEDDED = 'embedded';

export interface RedisChoiceOptions {
  command: 'start' | 'gateway' | 'worker' | 'ask' | 'usage';
  /** REDIS_URL as the environment has it (undefined or empty when unset), not the config's default. */
  rawUrl: string | undefined;
  env: Record<string, string | undefined>;
  /** @defaultValue 3 */
  attempts?: number;
  /** Pause between attempts. @defaultValue 1_000 */
  retryDelayMs?: number;
  /** @defaultValue 2_000 */
  connectTimeoutMs?: number;
  /** The Redis tried when REDIS_URL is unset. @defaultValue DEFAULT_REDIS_URL */
  localUrl?: string;
}

export const REDIS_CHOICE_DEFAULTS = { attempts: 3, retryDelayMs: 1_000, connectTimeoutMs: 2_000 } as const;

export interface RedisChoice {
  url: string;
  embedded?: EmbeddedRedis;
}

export async function chooseRedis(options: RedisChoiceOptions): Promise<RedisChoice> {
  const raw = options.rawUrl?.trim() || undefined;
  const shared = options.command === 'gateway' || options.command === 'worker';
  const local = options.localUrl ?? DEFAULT_REDIS_URL;
  if (raw && raw !== EMBEDDED) {
    await reachOrExplain(raw, options, `Start Redis there, or fix REDIS_URL${shared ? '' : ' (or unset it: `start` and `ask` then run a private Redis)'}.`);
    return { url: raw };
  }
  if (shared) {
    if (raw === EMBEDDED) throw new UserFacingError(sharedRedisNeeded(options.command), { exitCode: 2 });
    await reachOrExplain(local, options, sharedRedisNeeded(options.command));
    return { url: local };
  }
  if (!raw && (await redisAnswers(local, options.connectTimeoutMs ?? REDIS_CHOICE_DEFAULTS.connectTimeoutMs))) return { url: local };
  const embedded = await startEmbeddedRedis({ stateDir: stateDirectory(options.env), pathEnv: options.env.PATH });
  return { url: embedded.url, embedded };
}

function sharedRedisNeeded(command: string): string {
  return `\`${command}\` shares its queue with other processes, so it never starts a private Redis: set REDIS_URL to a Redis every gateway and worker can reach (or use \`ofox-bot start\` for one process).`;
}

async function reachOrExplain(url: string, options: RedisChoiceOptions, hint: string): Promise<void> {
  const attempts = options.attempts ?? REDIS_CHOICE_DEFAULTS.attempts;
  let cause: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    cause = await pingRedis(url, options.connectTimeoutMs ?? REDIS_CHOICE_DEFAULTS.connectTimeoutMs);
    if (cause === undefined) return;
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? REDIS_CHOICE_DEFAULTS.retryDelayMs));
  }
  throw new UserFacingError(`Cannot reach Redis at REDIS_URL=${redactUrl(url)} (${describeConnectionError(cause).replace(/\.$/, '')}; ${attempts} attempt${attempts === 1 ? '' : 's'}).\n${hint}`, { cause });
}
