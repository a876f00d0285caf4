import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { assertRoleConfig, loadConfig, redactUrl, secretValues, type Config, type Role } from '../config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { reserveHealthServer } from '../observability/health-server.ts';
import { stateDirectory } from '../runtime/embedded-redis.ts';
import { runAsk } from './ask.ts';
import type { CommandLine } from './command-line.ts';
import { loadDoctorConfig, runDoctor } from './doctor.ts';
import { printDoctorReport } from './doctor-report.ts';
import { chooseRedis } from './redis-choice.ts';
import { runRole } from './roles.ts';
import { runUsageCommand } from './usage-command.ts';
import { describeStartupError } from './startup-errors.ts';
import { registerDiscordCommands } from '../../adapters/discord/index.ts';

/** Set once the logger exists: failures after that also become one structured log line. */
let activeLog: Logger | undefined;
/** For messages about Redis, once chosen (redacted). */
let redisForMessages: string | undefined;

function fail(error: unknown): never {
  const failure = describeStartupError(error, { redisUrl: redisForMessages });
  activeLog?.fatal({ err: error }, failure.message);
  activeLog?.flush?.();
  process.stderr.write(`${failure.message}\n`);
  process.exit(failure.exitCode);
}

function loadFor(role: Role): Config {
  const config = loadConfig();
  assertRoleConfig(config, role);
  return config;
}

type RunLine = Extract<CommandLine, { kind: 'run' }>;

async function run(line: RunLine, env: Record<string, string | undefined>): Promise<number> {
  if (line.command === 'doctor') {
    // Doctor checks everything whatever is missing: an invalid variable is one failed check, not an exit.
    const { config, problems } = loadDoctorConfig(env);
    const report = await runDoctor(config, env, problems);
    printDoctorReport(report, { verbose: line.verbose, write: (text) => process.stdout.write(text) });
    return report.checks.every((check) => check.ok) ? 0 : 1;
  }
  const command = line.command;
  let config = loadFor(command);
  const logOptions = { level: config.LOG_LEVEL, secrets: secretValues(config), format: config.LOG_FORMAT, nodeEnv: config.NODE_ENV };

  switch (line.command) {
    case 'start':
    case 'gateway':
    case 'worker': {
      const role = line.command;
      const redis = await chooseRedis({ command: role, rawUrl: env.REDIS_URL, env });
      config = { ...config, REDIS_URL: redis.url };
      redisForMessages = redactUrl(redis.url);
      const log = createLogger({ ...logOptions, terminal: process.stdout.isTTY === true, base: { command: role } });
      activeLog = log;
      if (redis.embedded) log.info({ dir: redis.embedded.dir, shared: !redis.embedded.owned }, 'using a private Redis (REDIS_URL is unset and nothing answers on 127.0.0.1:6379)');
      // Bound before any worker starts: a taken port ends start-up before a job is taken.
      if (config.HEALTH_PORT > 0) await reserveHealthServer({ port: config.HEALTH_PORT, host: config.HEALTH_HOST, log });
      await runRole(role, config, log, env);
      return -1; // keeps running until a signal
    }
    case 'ask': {
      const redis = await chooseRedis({ command: 'ask', rawUrl: env.REDIS_URL, env });
      config = { ...config, REDIS_URL: redis.url };
      redisForMessages = redactUrl(redis.url);
      const log = askLogger(config, logOptions, env, line.json);
      activeLog = log;
      const result = await runAsk({ question: line.question, model: line.model, persona: line.persona, json: line.json }, config, log, env, process.stdout);
      return result.outcome === 'complete' ? 0 : 1;
    }
    case 'usage': {
      const redis = await chooseRedis({ command: 'usage', rawUrl: env.REDIS_URL, env });
      return runUsageCommand(line.args, { ...config, REDIS_URL: redis.url }, process.stdout);
    }
    case 'register-commands': {
      const result = await registerDiscordCommands(config);
      process.stdout.write(`Registered ${result.count} slash commands ${result.scope === 'guild' ? `in guild ${config.DISCORD_GUILD_ID}` : 'globally (may take up to an hour to appear)'}.\n`);
      return 0;
    }
  }
}

/**
 * `ask` draws the answer on stdout; its logs must never land in that live area. On a terminal they
 * go to a file under the state directory; in a pipe (or with --json) to stderr as JSON.
 */
function askLogger(config: Config, options: { level: string; secrets: string[]; format: Config['LOG_FORMAT']; nodeEnv: string }, env: Record<string, string | undefined>, json: boolean): Logger {
  const level = config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL;
  if (process.stdout.isTTY && !json) {
    const dir = stateDirectory(env);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return createLogger({ ...options, level, format: 'json', base: { command: 'ask' }, destination: pino.destination({ dest: join(dir, 'ask.log'), sync: true, mkdir: true }) });
  }
  return createLogger({ ...options, level, base: { command: 'ask' }, terminal: process.stderr.isTTY === true, fd: 2 });
}

/** Runs a parsed command; returns when a one-shot command is done (the process exits with its code) or a role is up. */
export async function runCommand(line: RunLine, env: Record<string, string | undefined>): Promise<void> {
  // Some libraries start work in constructors (Bolt's auth.test) and reject where nobody awaits:
  // those end here as one readable message too, never as Node's stack dump.
  process.on('unhandledRejection', fail);
  process.on('uncaughtException', fail);
  let code: number;
  try {
    code = await run(line, env);
  } catch (error) {
    fail(error);
  }
  if (code >= 0) {
    activeLog?.flush?.();
    process.exit(code);
  }
}
