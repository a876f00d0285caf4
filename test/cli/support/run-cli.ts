import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real CLI as a person runs it, in its own process, configured only through the environment. */

export const MAIN_SCRIPT = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
export const ENTRY_SCRIPT = fileURLToPath(new URL('../../../bin/ofox-bot.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Both streams, in arrival order. */
  output: string;
  ms: number;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  /** @defaultValue this Node (24) */
  node?: string;
  /** @defaultValue src/main.ts */
  script?: string;
  /** Killed (SIGKILL) after this long; `code` is then null. @defaultValue 60_000 */
  timeoutMs?: number;
  /** @defaultValue a fresh empty folder (no .env) */
  cwd?: string;
  /** Called with the output so far on every chunk; return true to send SIGTERM. */
  until?: (output: string) => boolean;
  /** Called with the output so far on every chunk. */
  onOutput?: (output: string) => void;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(options.node ?? process.execPath, [options.script ?? MAIN_SCRIPT, ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'ofox-cli-')),
    // Nothing from this machine's environment leaks in: only what the row under test sets.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HEALTH_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  let signalled = false;
  const onChunk = () => {
    options.onOutput?.(output);
    if (!signalled && options.until?.(output)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
    onChunk();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
    onChunk();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output, ms: Date.now() - started });
    });
  });
}

/** Lines of a Node or V8 stack trace ("    at fn (file:1:2)"). */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s+at /.test(line));
}
