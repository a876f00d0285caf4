#!/usr/bin/env node
import { pino } from 'pino';
import { assertRoleConfig, ConfigError, loadConfig, secretValues, type Config, type Role } from './config.ts';
import { createLogger } from './observability/logger.ts';
import { runAsk } from './cli/ask.ts';
import { runDoctor } from './cli/doctor.ts';
import { runRole } from './cli/roles.ts';
import { registerDiscordCommands } from '../adapters/discord/index.ts';

const USAGE = `Usage: ofox-bot <command>

  start               gateways and workers in one process
  gateway             platform adapters only (Discord gateway, Slack receiver)
  worker              workers only (stream answers, run tools, edit messages)
  ask "question"      try the whole pipeline in this terminal
  register-commands   register Discord slash commands (DISCORD_GUILD_ID: one guild, at once)
  doctor              check configuration, Redis, OfoxAI and platform tokens

Configuration comes from environment variables and .env; see README.md.`;

const ROLES = new Set<Role>(['start', 'gateway', 'worker', 'ask', 'register-commands', 'doctor']);

function loadFor(role: Role): Config {
  const config = loadConfig();
  assertRoleConfig(config, role);
  return config;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (!ROLES.has(command as Role)) {
    console.error(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  const role = command as Role;
  let config: Config;
  try {
    config = loadFor(role);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const env = process.env;

  switch (role) {
    case 'start':
    case 'gateway':
    case 'worker': {
      const log = createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config), base: { role } });
      await runRole(role, config, log, env);
      return -1; // keeps running until a signal
    }
    case 'ask': {
      const prompt = rest.join(' ').trim();
      if (!prompt) {
        console.error('Usage: ofox-bot ask "your question"');
        return 2;
      }
      // Logs go to stderr so the answer owns the terminal.
      const log = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, secrets: secretValues(config), destination: pino.destination(2) });
      const result = await runAsk(prompt, config, log, env, process.stdout);
      return result.outcome === 'complete' ? 0 : 1;
    }
    case 'register-commands': {
      const result = await registerDiscordCommands(config);
      console.log(`Registered ${result.count} slash commands ${result.scope === 'guild' ? `in guild ${config.DISCORD_GUILD_ID}` : 'globally (may take up to an hour to appear)'}.`);
      return 0;
    }
    case 'doctor': {
      const report = await runDoctor(config);
      console.log('Configuration (secrets redacted):');
      for (const [key, value] of Object.entries(report.config)) if (value !== undefined && value !== '') console.log(`  ${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
      console.log('\nChecks:');
      for (const check of report.checks) console.log(`  ${check.ok ? '✔' : '✘'} ${check.name}: ${check.detail}`);
      return report.checks.every((check) => check.ok) ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? `ofox-bot: ${error.message}` : error);
    process.exit(1);
  },
);
