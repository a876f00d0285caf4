import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS, COMMAND_USAGE, MAIN_USAGE, type Command } from './usage.ts';

/**
 * The command line, parsed with `node:util` parseArgs (strict: an unknown flag is an error). What
 * main should do comes back as data, so it is tested without running anything.
 */

export type CommandLine =
  | { kind: 'print'; text: string; exitCode: 0 }
  | { kind: 'usage-error'; text: string; exitCode: 2 }
  | { kind: 'run'; command: 'start' | 'gateway' | 'worker' | 'register-commands' }
  | { kind: 'run'; command: 'doctor'; verbose: boolean }
  | { kind: 'run'; command: 'usage'; args: string[] }
  | { kind: 'run'; command: 'ask'; question: string; json: boolean; model?: string; persona?: string };

const OPTIONS: Record<Command, NonNullable<ParseArgsConfig['options']>> = {
  start: {},
  gateway: {},
  worker: {},
  'register-commands': {},
  doctor: { verbose: { type: 'boolean', short: 'v' } },
  // Parsed by the usage command itself (`--audit` takes an optional count).
  usage: {},
  ask: { json: { type: 'boolean' }, model: { type: 'string' }, persona: { type: 'string' } },
};

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandLine(argv: readonly string[], version: string): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { kind: 'print', text: MAIN_USAGE, exitCode: 0 };
  if (first === '--version' || first === '-V') return { kind: 'print', text: version, exitCode: 0 };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    const what = first.startsWith('-') ? `Unknown option: ${first}` : `Unknown command: ${first}`;
    return { kind: 'usage-error', text: `${what}\n\n${MAIN_USAGE}`, exitCode: 2 };
  }
  const command = first as Command;
  if (command === 'usage') {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'print', text: COMMAND_USAGE.usage, exitCode: 0 };
    return { kind: 'run', command, args: [...rest] };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...HELP, ...OPTIONS[command] }, allowPositionals: command === 'ask', strict: true });
  } catch (error) {
    return { kind: 'usage-error', text: `${error instanceof Error ? error.message : String(error)}\n\n${COMMAND_USAGE[command]}`, exitCode: 2 };
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { kind: 'print', text: COMMAND_USAGE[command], exitCode: 0 };
  if (command === 'ask') {
    const question = parsed.positionals.join(' ').trim();
    if (!question) return { kind: 'usage-error', text: COMMAND_USAGE.ask, exitCode: 2 };
    return {
      kind: 'run',
      command,
      question,
      json: values.json === true,
      ...(typeof values.model === 'string' ? { model: values.model } : {}),
      ...(typeof values.persona === 'string' ? { persona: values.persona } : {}),
    };
  }
  if (command === 'doctor') return { kind: 'run', command, verbose: values.verbose === true };
  return { kind: 'run', command };
}
