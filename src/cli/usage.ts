/** The usage text of every command, printed by `--help` and with a usage error. */

import { USAGE_COMMAND_HELP } from './usage-command.ts';

export const COMMANDS = ['start', 'gateway', 'worker', 'ask', 'register-commands', 'doctor', 'usage'] as const;
export type Command = (typeof COMMANDS)[number];

export const MAIN_USAGE = `Usage: ofox-bot <command> [options]

  start               gateways and workers in one process
  gateway             platform adapters only (Discord gateway, Slack receiver)
  worker              workers only (stream answers, run tools, edit messages)
  ask "question"      try the whole pipeline in this terminal
  register-commands   register Discord slash commands (DISCORD_GUILD_ID: one guild, at once)
  doctor              check configuration, Redis, OfoxAI, platforms and MCP servers
  usage               who spent what (US dollars) per user, channel and model; --audit: who changed what

Options: -h, --help (also after a command), --version

Configuration comes from environment variables and .env; see README.md.`;

const REDIS_NOTE = `Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a private redis-server
(data under $XDG_STATE_HOME/ofox-bot, stopped with the bot).`;

export const COMMAND_USAGE: Record<Command, string> = {
  start: `Usage: ofox-bot start

Runs the platform gateways (Discord, Slack) and the workers in one process until SIGTERM/SIGINT.
${REDIS_NOTE}`,
  gateway: `Usage: ofox-bot gateway

Runs the platform adapters only: they post a placeholder and enqueue. Needs REDIS_URL, a Redis
every gateway and worker reaches (it never starts a private one).`,
  worker: `Usage: ofox-bot worker

Runs the workers only: they stream answers, run tools and edit messages. Needs REDIS_URL, a Redis
every gateway and worker reaches (it never starts a private one).`,
  ask: `Usage: ofox-bot ask [options] "question"

Sends a real job through Redis to a worker in this process and renders the answer here.

Options:
  --model <id>       answer with this model instead of OFOX_MODEL
  --persona <text>   a persona (system prompt) for this question only
  --json             print one JSON object (answer, model, tokens, timings) instead of drawing
  -h, --help         this text
${REDIS_NOTE}`,
  'register-commands': `Usage: ofox-bot register-commands

Registers the Discord slash commands: for DISCORD_GUILD_ID at once when set, else globally
(up to an hour to appear).`,
  doctor: `Usage: ofox-bot doctor [--verbose]

Checks everything in one run: configuration, Redis, OfoxAI, Discord, Slack and MCP servers; each
failure names what it tried and the fix. Exit 0 when every check passes.

Options:
  --verbose   also print the configuration (secrets redacted)
  -h, --help  this text`,
  usage: `${USAGE_COMMAND_HELP}

Reads the Redis the bot uses (REDIS_URL, else 127.0.0.1:6379, else the private one of \`start\`).`,
};
