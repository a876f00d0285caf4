import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { reply, serverError, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { FakeSocketMode } from '../fakes/slack/socket-mode.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { freePort } from '../helpers/free-port.ts';
import { ENTRY_SCRIPT, runCli, stackLines } from './support/run-cli.ts';

/**
 * Each row of "the first ten minutes" (issue 12): what a newcomer did, run through the real CLI in
 * its own process, ending in one readable message, the variable named, and the exit code. Never a
 * stack trace.
 */

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const prefix = newTestPrefix('first-run');
let ofox: FakeOfox;

beforeAll(async () => {
  ofox = await startFakeOfox({ apiKey: 'first-run-key' });
  ofox.respond(() => reply('An answer.'));
});

afterAll(async () => {
  await ofox?.close();
  await deleteKeys(prefix);
});

const baseEnv = () => ({ OFOX_API_KEY: 'first-run-key', OFOX_BASE_URL: ofox.openaiBaseUrl, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, WORKER_INSTANCES: '1', SHUTDOWN_GRACE_MS: '1000' });

describe('Node older than engines', () => {
  const node20 = '/usr/bin/node';
  it.skipIf(!existsSync(node20))('names the version needed and the one-line fix, exit 1, before importing anything', async () => {
    const run = await runCli(['start'], { node: node20, script: ENTRY_SCRIPT, env: baseEnv() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ofox-bot needs Node\.js 22\.12 or newer; this is v(1\d|2[01])\./);
    expect(run.stderr).toContain('npm install --prefix ~/.cache/node24 node@24');
    expect(run.stdout).toBe('');
    expect(stackLines(run.output)).toEqual([]);
  });

  it.skipIf(!existsSync(node20))('prints --help through the same entry once the version is right', async () => {
    const run = await runCli(['--help'], { script: ENTRY_SCRIPT });
    // Without a build the entry says so in one line; with one it prints the usage.
    if (existsSync(new URL('../../dist/src/main.js', import.meta.url))) expect(run.stdout).toContain('Usage: ofox-bot <command>');
    else expect(run.stderr).toBe('ofox-bot is not built yet: run `npm run build` (npm ci does it) in the ofox-bot folder.\n');
    expect(stackLines(run.output)).toEqual([]);
  });
});

describe('a platform token refused at start', () => {
  it('Slack: names SLACK_BOT_TOKEN and what auth.test answered, exit 1', async () => {
    const slack = await new FakeSlack().start();
    try {
      const run = await runCli(['start'], {
        env: { ...baseEnv(), SLACK_BOT_TOKEN: 'xoxb-not-the-right-one', SLACK_SIGNING_SECRET: 'secret-for-the-test', SLACK_API_URL: slack.apiUrl, PORT: String(await freePort()) },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('SLACK_BOT_TOKEN was refused by Slack: auth.test answered "invalid_auth".');
      expect(stackLines(run.output)).toEqual([]);
      expect(run.output).not.toContain('xoxb-not-the-right-one');
    } finally {
      await slack.stop();
    }
  });

  it('Slack Socket Mode: names SLACK_APP_TOKEN and what apps.connections.open answered, exit 1', async () => {
    const slack = await new FakeSlack().start();
    const socketMode = await new FakeSocketMode(slack).start();
    try {
      const run = await runCli(['start'], { env: { ...baseEnv(), SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: 'xapp-not-the-right-one', SLACK_API_URL: slack.apiUrl } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('SLACK_APP_TOKEN was refused by Slack: apps.connections.open answered "invalid_auth".');
      expect(stackLines(run.output)).toEqual([]);
      expect(run.output).not.toContain('xapp-not-the-right-one');
    } finally {
      await socketMode.stop();
      await slack.stop();
    }
  });

  it('Discord: names DISCORD_TOKEN and the 401, exit 1', async () => {
    const discord = await FakeDiscord.start();
    try {
      const run = await runCli(['start'], {
        env: { ...baseEnv(), DISCORD_TOKEN: 'not-the-right-token', DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_URL: discord.apiUrl },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('DISCORD_TOKEN was refused by Discord (401 Unauthorized).');
      expect(stackLines(run.output)).toEqual([]);
    } finally {
      await discord.stop();
    }
  });
});

describe('Redis unreachable at start', () => {
  for (const command of ['start', 'ask'] as const) {
    it(`${command}: a few bounded attempts, then REDIS_URL named (redacted) with a hint, exit 1`, async () => {
      const args = command === 'ask' ? ['ask', 'hello'] : ['start'];
      const run = await runCli(args, { env: { ...baseEnv(), REDIS_URL: 'redis://:hunter22@127.0.0.1:1', SLACK_BOT_TOKEN: 'xoxb-x', SLACK_APP_TOKEN: 'xapp-x' }, timeoutMs: 100_000 });
      // It gave up by itself (a process that retried forever would be killed, with no exit code).
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'Cannot reach Redis at REDIS_URL=redis://:redacted@127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1; 3 attempts).\n' +
          'Start Redis there, or fix REDIS_URL (or unset it: `start` and `ask` then run a private Redis).\n',
      );
      expect(run.output).not.toContain('hunter22');
    });
  }

  it('gateway with no REDIS_URL never starts a private Redis and says why', async () => {
    const run = await runCli(['gateway'], { env: { ...baseEnv(), REDIS_URL: 'embedded', SLACK_BOT_TOKEN: 'xoxb-x', SLACK_APP_TOKEN: 'xapp-x' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('`gateway` shares its queue with other processes, so it never starts a private Redis: set REDIS_URL');
  });

  it('no redis-server on PATH: how to get one, in two lines', async () => {
    const nodeDir = process.execPath.slice(0, process.execPath.lastIndexOf('/'));
    const run = await runCli(['ask', 'hello'], { env: { ...baseEnv(), REDIS_URL: 'embedded', PATH: nodeDir, XDG_STATE_HOME: '/tmp' } });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('No Redis answers on 127.0.0.1:6379 and there is no redis-server on PATH to start a private one.');
    expect(lines[1]).toMatch(/apt install redis-server .*docker run -d -p 6379:6379 redis:7/);
  });
});

describe('the health port taken', () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('names HEALTH_PORT and stops before any worker takes a job, exit 1', async () => {
    const slack = await new FakeSlack().start();
    try {
      const run = await runCli(['worker'], { env: { ...baseEnv(), HEALTH_PORT: String(port), SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`HEALTH_PORT ${port} is already in use`);
      expect(run.output).not.toContain('workers ready');
      expect(stackLines(run.output)).toEqual([]);
    } finally {
      await slack.stop();
    }
  });
});

describe('the CLI behaves like a CLI', () => {
  it('--version prints the version, exit 0', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('a bare ofox-bot prints the usage, exit 0', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('Usage: ofox-bot <command> [options]')).toBe(true);
  });

  for (const command of ['start', 'gateway', 'worker', 'ask', 'register-commands', 'doctor']) {
    it(`${command} --help and -h print that command's usage and start nothing, exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const run = await runCli([command, flag], { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
        expect(run.code).toBe(0);
        expect(run.stdout.startsWith(`Usage: ofox-bot ${command}`)).toBe(true);
        expect(run.stderr).toBe('');
      }
    });
  }

  it('ask --help is not sent to the model as a question', async () => {
    const before = ofox.requests.length;
    const run = await runCli(['ask', '--help'], { env: baseEnv() });
    expect(run.code).toBe(0);
    expect(ofox.requests.length).toBe(before);
  });

  it('unknown commands and flags exit 2 with the usage', async () => {
    const command = await runCli(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr.startsWith('Unknown command: frobnicate\n\nUsage: ofox-bot <command>')).toBe(true);
    const flag = await runCli(['start', '--frob']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--frob'");
    expect(flag.stderr).toContain('Usage: ofox-bot start');
  });

  it('ask without a question prints its usage, exit 2', async () => {
    const run = await runCli(['ask'], { env: baseEnv() });
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith('Usage: ofox-bot ask [options] "question"')).toBe(true);
  });
});

describe('ask in a pipe', () => {
  it('writes only the answer on stdout, logs as JSON on stderr, even when a retry happens', async () => {
    let calls = 0;
    ofox.respond(() => (calls++ === 0 ? [serverError(500)] : reply('Recovered **answer**.')));
    const run = await runCli(['ask', 'hello'], { env: { ...baseEnv(), OFOX_RETRY_BASE_MS: '10', LOG_LEVEL: 'info' } });
    ofox.respond(() => reply('An answer.'));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Recovered **answer**.\n');
    for (const line of run.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(stackLines(run.output)).toEqual([]);
  });

  it('--json prints one object with the answer, model, tokens and timings', async () => {
    const run = await runCli(['ask', '--json', '--model', 'openai/gpt-4o-mini', 'hello'], { env: baseEnv() });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ outcome: 'complete', answer: 'An answer.', model: 'openai/gpt-4o-mini' });
    expect(typeof result.totalMs).toBe('number');
    expect(ofox.requests.at(-1)?.body).toMatchObject({ model: 'openai/gpt-4o-mini' });
  });
});

describe('doctor without OFOX_API_KEY', () => {
  it('checks everything else, names what it tried, and prints no configuration unless --verbose', async () => {
    const closed = await freePort();
    const run = await runCli(['doctor'], { env: { REDIS_URL: testRedisUrl(), SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_APP_TOKEN: 'xapp-x', SLACK_API_URL: `http://127.0.0.1:${closed}/api` } });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => /^[✔✘] /.test(line)).map((line) => line.split(':')[0])).toEqual(['✘ config', '✔ redis', '✘ ofoxai', '✘ slack token', '✔ mcp']);
    expect(run.stdout).toContain(`✘ slack token: could not reach Slack (connect ECONNREFUSED 127.0.0.1:${closed})`);
    expect(run.stdout).toContain(`    tried: http://127.0.0.1:${closed}/api/auth.test`);
    expect(run.stdout).not.toContain('Configuration (secrets redacted)');
    const verbose = await runCli(['doctor', '--verbose'], { env: { REDIS_URL: testRedisUrl() } });
    expect(verbose.stdout).toContain('Configuration (secrets redacted):');
  });
});
