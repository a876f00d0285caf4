import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * Every environment variable the bot reads, in one schema built from the core's part and each
 * registered platform's part. Nothing else in the code base reads `process.env`; it receives a
 * `Config` (or a slice of it) instead. Platforms build their parts with the helpers exported here.
 */

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

export const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

export const url = (fallback: string) => z.url().default(fallback).transform((value) => value.replace(/\/+$/, ''));
export const optionalUrl = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim().replace(/\/+$/, '')))
  .pipe(z.url().optional());

/** The core's variables; each platform adds its own part (its descriptor's `configShape`). */
export const coreConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // OfoxAI
  OFOX_API_KEY: optionalString,
  OFOX_BASE_URL: url('https://api.ofox.ai/v1'),
  OFOX_ANTHROPIC_BASE_URL: url('https://api.ofox.ai/anthropic'),
  OFOX_MODEL: z.string().min(1).default('openai/gpt-4o'),
  /** The image tool's model where a channel has not chosen one (`imageModel` setting). */
  OFOX_IMAGE_MODEL: z.string().min(1).default('openai/gpt-image-2'),
  /** `auto` speaks the Anthropic protocol to `anthropic/*` models and OpenAI's to the rest. */
  OFOX_PROTOCOL: z.enum(['openai', 'anthropic', 'auto']).default('auto'),
  /** Sent as `provider.fallback`: models the gateway may use when the first one fails. */
  OFOX_FALLBACK_MODELS: list,
  OFOX_MAX_OUTPUT_TOKENS: int(4096, 1),
  OFOX_CONNECT_TIMEOUT_MS: int(10_000, 1),
  OFOX_FIRST_BYTE_TIMEOUT_MS: int(60_000, 1),
  OFOX_IDLE_TIMEOUT_MS: int(60_000, 1),
  OFOX_DEADLINE_MS: int(600_000, 1),
  OFOX_MAX_ATTEMPTS: int(4, 1),
  OFOX_RETRY_BASE_MS: int(500, 1),
  OFOX_RETRY_MAX_MS: int(20_000, 1),
  /** The team's upstream request budget shared by every worker; adapted down from x-ratelimit headers. */
  OFOX_REQUESTS_PER_MINUTE: int(100, 1),

  // Redis and the queue
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().min(1).default('ofox'),
  WORKER_INSTANCES: int(4, 1),
  WORKER_CONCURRENCY: int(100, 1),
  JOB_ATTEMPTS: int(3, 1),
  SHUTDOWN_GRACE_MS: int(30_000, 0),
  /** A crashed worker's answer is picked up by another after at most this long. */
  JOB_LOCK_MS: int(30_000, 1_000),
  MAX_TOOL_ROUNDS: int(8, 1),
  CONTEXT_TOKEN_BUDGET: int(12_000, 256),
  ATTACHMENT_TEXT_MAX_BYTES: int(100_000, 0),
  IGNORE_BOTS: bool(true),
  /** Health and metrics HTTP port; 0 turns it off. */
  HEALTH_PORT: int(9464, 0),

  // Tools
  OFOX_BOT_CONFIG: optionalString,
  FETCH_URL_ALLOWLIST: list,
  TOOL_APPROVAL_TIMEOUT_MS: int(120_000, 1),
};

export type CoreConfig = z.infer<z.ZodObject<typeof coreConfigShape>>;
export type Role = 'start' | 'gateway' | 'worker' | 'ask' | 'register-commands' | 'doctor';

/**
 * Each platform adds the type of its config part here, next to its descriptor:
 * `declare module '../../src/config.ts' { interface PlatformConfigs { discord: DiscordConfig } }`.
 * `Config` is then typed for every registered platform without the core importing an adapter.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface PlatformConfigs {}

type Intersection<U> = (U extends unknown ? (part: U) => void : never) extends (part: infer I) => void ? I : never;

/** The core's variables and every registered platform's. */
export type Config = CoreConfig & Intersection<PlatformConfigs[keyof PlatformConfigs]>;

/** What the config needs to know of a platform: its variables, which of them are secret, and when it is complete. */
export interface PlatformConfigPart {
  /** The registry name (`discord`, `slack`, `terminal`, ...). */
  readonly name: string;
  /** Its environment variables, merged into the one schema. */
  readonly configShape: z.ZodRawShape;
  /** Variables whose values are secret: masked when printed, scrubbed from logs. */
  readonly secretKeys: readonly string[];
  /** The variable that turns it on, named when no platform is configured for a role. */
  readonly keyVariable?: string;
  /** The roles it takes part in (`start`, `gateway`, `worker`, `ask`, ...). */
  readonly roles: readonly Role[];
  /** Configured well enough to run. */
  enabled(config: Config): boolean;
  /** What a role needs of it that is missing or half set (every gap at once; empty when fine). */
  configProblems(config: Config, role: Role): string[];
}

let registeredPlatforms: readonly PlatformConfigPart[] = [];

/**
 * The composition root (`src/cli/platforms.ts`) registers the platform registry once at start, so
 * `loadConfig`, `assertRoleConfig`, `redactConfig` and `secretValues` know every platform's part
 * without the core importing an adapter. Tests pass a list explicitly instead.
 */
export function registerPlatformConfigs(platforms: readonly PlatformConfigPart[]): void {
  registeredPlatforms = platforms;
}

export function registeredPlatformConfigs(): readonly PlatformConfigPart[] {
  return registeredPlatforms;
}

/** One schema: the core's part plus each platform's (a variable named twice is a programming error). */
export function buildConfigSchema(platforms: readonly PlatformConfigPart[] = registeredPlatforms) {
  let shape: z.ZodRawShape = { ...coreConfigShape };
  for (const platform of platforms) {
    for (const key of Object.keys(platform.configShape)) {
      if (key in shape) throw new Error(`config variable ${key} is declared twice (platform ${platform.name})`);
    }
    shape = { ...shape, ...platform.configShape };
  }
  return z.object(shape).transform((value) => value as Config);
}

/** The schema of the registered platforms, built when used (so registration order does not matter). */
export const configSchema = {
  parse: (input: unknown): Config => buildConfigSchema().parse(input),
};

const CORE_SECRET_KEYS = ['OFOX_API_KEY'] as const;

function secretKeysOf(platforms: readonly PlatformConfigPart[]): string[] {
  return [...CORE_SECRET_KEYS, ...platforms.flatMap((platform) => platform.secretKeys)];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Loads `.env` (when present, without overriding the real environment) and validates everything at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env', platforms: readonly PlatformConfigPart[] = registeredPlatforms): Config {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const parsed = buildConfigSchema(platforms).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** What a role needs beyond the defaults; lists every gap at once. */
export function assertRoleConfig(config: Config, role: Role, platforms: readonly PlatformConfigPart[] = registeredPlatforms): void {
  const problems: string[] = [];
  const needsModel = role === 'start' || role === 'worker' || role === 'ask' || role === 'doctor';
  if (needsModel && !config.OFOX_API_KEY) problems.push('OFOX_API_KEY: required (your OfoxAI API key)');
  const taking = platforms.filter((platform) => platform.roles.includes(role));
  const platformProblems = taking.flatMap((platform) => platform.configProblems(config, role));
  problems.push(...platformProblems);
  // The long-running roles answer for at least one platform; a half-configured one has said so above.
  const longRunning = role === 'start' || role === 'gateway' || role === 'worker';
  if (longRunning && platformProblems.length === 0 && !taking.some((platform) => platform.enabled(config))) {
    const keys = taking.map((platform) => platform.keyVariable).filter((key): key is string => key !== undefined);
    problems.push(`${keys.join(' or ') || 'a platform'}: ${role === 'worker' ? 'a worker answers for at least one platform' : 'configure at least one platform'}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** @deprecated For `src/cli/doctor.ts` until it iterates the platform registry. */
export function discordEnabled(config: Config): boolean {
  return registeredPlatforms.find((platform) => platform.name === 'discord')?.enabled(config) ?? false;
}

/** @deprecated For `src/cli/doctor.ts` until it iterates the platform registry. */
export function slackEnabled(config: Config): boolean {
  return registeredPlatforms.find((platform) => platform.name === 'slack')?.enabled(config) ?? false;
}

/** A copy safe to print: secrets become a fixed mask, and credentials inside URLs are removed. */
export function redactConfig(config: Config, platforms: readonly PlatformConfigPart[] = registeredPlatforms): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of secretKeysOf(platforms)) if (copy[key] !== undefined) copy[key] = '[redacted]';
  copy.REDIS_URL = redactUrl(config.REDIS_URL);
  return copy;
}

export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return value;
  }
}

/** Every secret value in the config, so loggers and user-facing errors can scrub them. */
export function secretValues(config: Config, platforms: readonly PlatformConfigPart[] = registeredPlatforms): string[] {
  const values: string[] = [];
  const record: Record<string, unknown> = { ...config };
  for (const key of secretKeysOf(platforms)) {
    const value = record[key];
    if (typeof value === 'string' && value) values.push(value);
  }
  try {
    const password = new URL(config.REDIS_URL).password;
    if (password) values.push(decodeURIComponent(password));
  } catch {
    // not a URL: nothing to extract
  }
  return values;
}
