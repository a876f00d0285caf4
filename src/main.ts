#!/usr/bin/env node
import { parseCommandLine } from './cli/command-line.ts';
import { packageVersion } from './cli/package-version.ts';

/**
 * The command line first, with nothing heavy imported: `--help`, `--version` and usage errors answer
 * at once. The command itself (the Discord and Slack libraries, BullMQ, the model client) loads only
 * when one runs.
 */
const line = parseCommandLine(process.argv.slice(2), packageVersion());
if (line.kind === 'print') {
  process.stdout.write(`${line.text}\n`);
  process.exitCode = line.exitCode;
} else if (line.kind === 'usage-error') {
  process.stderr.write(`${line.text}\n`);
  process.exitCode = line.exitCode;
} else {
  const { runCommand } = await import('./cli/run-command.ts');
  await runCommand(line, process.env);
}
