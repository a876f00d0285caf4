import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * Every environment variable the bot reads, in one schema. Nothing else in the code base reads
 * `process.env`; it receives a `Config` (or a slice of it) instead.
 */

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const url = (fallback: string) => z.url().default(fallback).transform((value) => value.replace(/\/+$/, ''));
const optionalUrl = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim().replace(/\/+$/, '')))
  .pipe(z.url().optional());

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // OfoxAI
  OFOX_API_KEY: optionalString,
  OFOX_BASE_URL: url('https://api.ofox.ai/v1'),
  OFOX_ANTHROPIC_BASE_URL: url('https://api.ofox.ai/anthropic'),
  OFOX_MODEL: z.string().min(1).default('openai/gpt-4o'),
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

  // First run and operations (firstrun): where the health server listens, and how logs look.
  /** Bind address of the health server, e.g. `127.0.0.1` to keep it local; unset: every interface. */
  HEALTH_HOST: optionalString,
  /** `json` (one object per line) or `pretty` (readable); `auto`: pretty on a terminal unless NODE_ENV=production. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),

  // Tools
  OFOX_BOT_CONFIG: optionalString,
  FETCH_URL_ALLOWLIST: list,
  TOOL_APPROVAL_TIMEOUT_MS: int(120_000, 1),

  // Discord
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: optionalUrl,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_ADMIN_ROLE_IDS: list,
  DISCORD_THREAD_PER_CONVERSATION: bool(false),

  // Slack
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalUrl,
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]+$/).default('/ofox'),
  SLACK_STREAMING: z.enum(['native', 'update']).default('native'),
  SLACK_ADMIN_USER_IDS: list,
  SLACK_THREAD_FOLLOWUPS: bool(true),
  PORT: int(3000, 0),
});

export type Config = z.infer<typeof configSchema>;
export type Role = 'start' | 'gateway' | 'worker' | 'ask' | 'register-commands' | 'doctor';

const SECRET_KEYS = ['OFOX_API_KEY', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Loads `.env` (when present, without overriding the real environment) and validates everything at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Config {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** What a role needs beyond the defaults; lists every gap at once. */
export function assertRoleConfig(config: Config, role: Role): void {
  const problems: string[] = [];
  const needsModel = role === 'start' || role === 'worker' || role === 'ask' || role === 'doctor';
  if (needsModel && !config.OFOX_API_KEY) problems.push('OFOX_API_KEY: required (your OfoxAI API key)');
  if (role === 'gateway' || role === 'start' || role === 'register-commands') {
    const discord = config.DISCORD_TOKEN || config.DISCORD_APPLICATION_ID;
    const slack = config.SLACK_BOT_TOKEN || config.SLACK_SIGNING_SECRET || config.SLACK_APP_TOKEN;
    if (discord && !config.DISCORD_TOKEN) problems.push('DISCORD_TOKEN: required when Discord is configured');
    if (discord && !config.DISCORD_APPLICATION_ID) problems.push('DISCORD_APPLICATION_ID: required when Discord is configured');
    if (role !== 'register-commands') {
      if (slack && !config.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: required when Slack is configured');
      if (slack && !config.SLACK_SIGNING_SECRET && !config.SLACK_APP_TOKEN) {
        problems.push('SLACK_SIGNING_SECRET: required for the HTTP receiver (or set SLACK_APP_TOKEN for Socket Mode)');
      }
      if (!discord && !slack) problems.push('DISCORD_TOKEN or SLACK_BOT_TOKEN: configure at least one platform');
    } else if (!discord) {
      problems.push('DISCORD_TOKEN and DISCORD_APPLICATION_ID: required to register slash commands');
    }
  }
  if (role === 'worker' && !discordEnabled(config) && !slackEnabled(config)) {
    problems.push('DISCORD_TOKEN or SLACK_BOT_TOKEN: a worker answers for at least one platform');
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export function discordEnabled(config: Config): boolean {
  return Boolean(config.DISCORD_TOKEN && config.DISCORD_APPLICATION_ID);
}

export function slackEnabled(config: Config): boolean {
  return Boolean(config.SLACK_BOT_TOKEN && (config.SLACK_SIGNING_SECRET || config.SLACK_APP_TOKEN));
}

/** A copy safe to print: secrets become a fixed mask, and credentials inside URLs are removed. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (copy[key] !== undefined) copy[key] = '[redacted]';
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
export function secretValues(config: Config): string[] {
  const values: string[] = [];
  for (const key of SECRET_KEYS) {
    const value = config[key];
    if (value) values.push(value);
  }
  try {
    const password = new URL(config.REDIS_URL).password;
    if (password) values.push(decodeURIComponent(password));
  } catch {
    // not a URL: nothing to extract
  }
  return values;
}
