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

/** A `host:port` list (Redis Sentinel or Cluster nodes); a missing port means the service's usual one. */
const hostList = (name: string, defaultPort: number) =>
  z
    .string()
    .default('')
    .transform((value, context) => {
      const nodes: Array<{ host: string; port: number }> = [];
      for (const item of value.split(',').map((part) => part.trim()).filter((part) => part.length > 0)) {
        const match = /^(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(item);
        const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
        if (!match || port < 1 || port > 65_535) {
          context.addIssue({ code: 'custom', message: `"${item}" is not host:port (expected e.g. ${name === 'REDIS_SENTINELS' ? '10.0.0.5:26379' : '10.0.0.5:7000'})` });
          continue;
        }
        nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
      }
      return nodes;
    });

/** Redis Cluster hashes only what is between the first `{` and the next `}`, when that is not empty. */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/** A whole number of 0 or more, or unset (an empty value counts as unset, not as 0). */
const optionalCount = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : Number(value.trim())))
  .pipe(z.number('expected a whole number').int('expected a whole number').min(0).optional());

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
  OFOX_IDLE_TIMEOUT_MS: int(25_000, 1),
  OFOX_DEADLINE_MS: int(600_000, 1),
  OFOX_MAX_ATTEMPTS: int(4, 1),
  OFOX_RETRY_BASE_MS: int(500, 1),
  OFOX_RETRY_MAX_MS: int(20_000, 1),
  /** The team's upstream request budget shared by every worker; adapted down from x-ratelimit headers. */
  OFOX_REQUESTS_PER_MINUTE: int(100, 1),

  // Redis and the queue
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /**
   * Every key starts with `${prefix}:`. The braces are a Redis Cluster hash tag: every key (BullMQ's
   * included) hashes to one slot, so multi-key scripts work on a cluster. Set `ofox` to keep the keys
   * of a deployment that started before the default changed (single Redis or Sentinel only).
   */
  REDIS_KEY_PREFIX: z.string().min(1).default('{ofox}'),

  // --- Redis topology (Sentinel / Cluster). Unset: the single Redis at REDIS_URL. ---
  /** `host:port,host:port` (port 26379 when left out): the sentinels to ask for the master; turns on Sentinel mode. */
  REDIS_SENTINELS: hostList('REDIS_SENTINELS', 26_379),
  /** The master's name as the sentinels know it (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: z.string().trim().min(1).default('mymaster'),
  /** `host:port,host:port` (port 6379 when left out): some nodes of a Redis Cluster (the rest are discovered); turns on Cluster mode. */
  REDIS_CLUSTER_NODES: hostList('REDIS_CLUSTER_NODES', 6_379),
  /** Password of the Redis data nodes in Sentinel and Cluster mode (REDIS_URL carries its own). */
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  /** Password of the sentinels themselves, when they require one. */
  REDIS_SENTINEL_PASSWORD: optionalString,
  // --- end of Redis topology ---

  WORKER_INSTANCES: int(4, 1),
  WORKER_CONCURRENCY: int(100, 1),
  JOB_ATTEMPTS: int(3, 1),
  SHUTDOWN_GRACE_MS: int(30_000, 0),
  /**
   * Job lock: a crashed worker's answer resumes elsewhere about this long after the crash (renewed
   * and checked for stalls every quarter of it; see src/worker/worker-pool.ts).
   */
  JOB_LOCK_MS: int(6_000, 1_000),
  /** Requests the gateway keeps while Redis is unreachable; the next one is told to ask again. 0 keeps none. */
  INGRESS_OUTBOX_MAX: int(1_000, 0),
  /** A request waiting for Redis longer than this is told to ask again. */
  INGRESS_OUTBOX_MAX_AGE_MS: int(120_000, 1_000),
  /** On SIGTERM, requests still waiting for Redis get this long to run before they are told to ask again. */
  INGRESS_OUTBOX_DRAIN_MS: int(5_000, 0),
  MAX_TOOL_ROUNDS: int(8, 1),
  CONTEXT_TOKEN_BUDGET: int(12_000, 256),
  ATTACHMENT_TEXT_MAX_BYTES: int(100_000, 0),
  IGNORE_BOTS: bool(true),
  /** Health and metrics HTTP port; 0 turns it off. */
  HEALTH_PORT: int(9464, 0),

  // Observability (owned by src/observability)
  /** Turns on bull-board at /admin/queues on the health port, behind this token; unset: off. */
  ADMIN_TOKEN: optionalString.pipe(z.string().min(16, 'use at least 16 characters').optional()),
  /** OTLP/HTTP collector for traces (the standard OpenTelemetry variable); unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,

  // First run and operations (firstrun): where the health server listens, and how logs look.
  /** Bind address of the health server, e.g. `127.0.0.1` to keep it local; unset: every interface. */
  HEALTH_HOST: optionalString,
  /** `json` (one object per line) or `pretty` (readable); `auto`: pretty on a terminal unless NODE_ENV=production. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),

  // Governance (the rest lives in the config file's `governance:` section)
  /** Requests one user may start per minute (0: no limit); overrides `governance.fairness.requestsPerMinute`. */
  GOVERNANCE_REQUESTS_PER_MINUTE: optionalCount,
  /** One user's answers queued or running at once (0: no limit); overrides `governance.fairness.maxInFlight`. */
  GOVERNANCE_MAX_IN_FLIGHT: optionalCount,

  // Tools
  OFOX_BOT_CONFIG: optionalString,
  FETCH_URL_ALLOWLIST: list,
  TOOL_APPROVAL_TIMEOUT_MS: int(120_000, 1),
};

export type CoreConfig = z.infer<z.ZodObject<typeof coreConfigShape>>;
export type Role = 'start' | 'gateway' | 'worker' | 'ask' | 'register-commands' | 'doctor' | 'usage';

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

/** Every variable of the core's part and each platform's (a variable named twice is a programming error). */
export function configShape(platforms: readonly PlatformConfigPart[] = registeredPlatforms): z.ZodRawShape {
  let shape: z.ZodRawShape = { ...coreConfigShape };
  for (const platform of platforms) {
    for (const key of Object.keys(platform.configShape)) {
      if (key in shape) throw new Error(`config variable ${key} is declared twice (platform ${platform.name})`);
    }
    shape = { ...shape, ...platform.configShape };
  }
  return shape;
}

/** One schema: the core's part plus each platform's, with the rules that span variables. */
export function buildConfigSchema(platforms: readonly PlatformConfigPart[] = registeredPlatforms) {
  const shape = configShape(platforms);
  return z
    .object(shape)
    .superRefine((value, context) => coreConfigRules(value as CoreConfig, context))
    .transform((value) => value as Config);
}

/** Rules that span several core variables (the Redis topology). */
function coreConfigRules(config: CoreConfig, context: z.RefinementCtx): void {
  if (config.REDIS_SENTINELS.length > 0 && config.REDIS_CLUSTER_NODES.length > 0) {
    context.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both' });
  }
  if (config.REDIS_CLUSTER_NODES.length > 0 && !hasHashTag(config.REDIS_KEY_PREFIX)) {
    context.addIssue({
      code: 'custom',
      path: ['REDIS_KEY_PREFIX'],
      message: `"${config.REDIS_KEY_PREFIX}" has no hash tag; on a Redis Cluster every key must share one slot, so use braces, e.g. {${config.REDIS_KEY_PREFIX.replace(/[{}]/g, '')}}`,
    });
  }
}

/** The schema of the registered platforms, built when used (so registration order does not matter). */
export const configSchema = {
  parse: (input: unknown): Config => buildConfigSchema().parse(input),
  safeParse: (input: unknown) => buildConfigSchema().safeParse(input),
  /** Every variable the config reads. */
  get shape(): z.ZodRawShape {
    return configShape();
  },
};

const CORE_SECRET_KEYS = ['OFOX_API_KEY', 'ADMIN_TOKEN', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const;

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
