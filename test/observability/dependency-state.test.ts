import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DependencyState } from '../../src/observability/dependency-state.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { pingRedis } from '../helpers/redis-server.ts';
import { runCli, stackLines } from '../cli/support/run-cli.ts';
import { captureLog } from '../helpers/capture-log.ts';

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Keys that occur twice at the top level of one JSON line (JSON.parse would silently keep the last). */
function duplicateTopLevelKeys(line: string): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let depth = 0;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') depth -= 1;
    else if (char === '"') {
      let end = index + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      const key = line.slice(index + 1, end);
      if (depth === 1 && line[end + 1] === ':') {
        if (seen.has(key)) duplicates.push(key);
        seen.add(key);
      }
      index = end;
    }
  }
  return duplicates;
}

describe('DependencyState', () => {
  afterEach(() => vi.useRealTimers());

  it('logs one line when an outage starts, one every period while it lasts, one when every connection is back', () => {
    vi.useFakeTimers();
    const { log, lines } = captureLog();
    const state = new DependencyState({ dependency: 'redis', target: 'redis://127.0.0.1:6379', log, stillDownEveryMs: 10_000, now: () => Date.now() });
    const [a, b] = [{}, {}];
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let attempt = 0; attempt < 20; attempt += 1) {
      state.failed(a, refused);
      state.failed(b, refused);
    }
    vi.advanceTimersByTime(25_000);
    state.recovered(a);
    expect(state.isDown).toBe(true);
    state.recovered(b);
    state.recovered(b);
    expect(lines.map((line) => line.msg)).toEqual(['redis is down; retrying quietly', 'redis is still down', 'redis is still down', 'redis is back']);
    expect(lines[0]).toMatchObject({ level: 40, dependency: 'redis', target: 'redis://127.0.0.1:6379', cause: 'connect ECONNREFUSED 127.0.0.1:6379' });
    expect(lines[2]).toMatchObject({ downForMs: 20_000 });
    expect(lines[3]).toMatchObject({ level: 30, downForMs: 25_000 });
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(4);
  });

  it('a connection closed on purpose ends nothing loudly', () => {
    const { log, lines } = captureLog();
    const state = new DependencyState({ dependency: 'redis', target: 'x', log });
    const a = {};
    state.failed(a, new Error('boom'));
    state.forget(a);
    expect(state.isDown).toBe(false);
    expect(lines.map((line) => line.msg)).toEqual(['redis is down; retrying quietly']);
  });
});

describe('a Redis outage under a running worker process', { timeout: 150_000 }, () => {
  let redis: ChildProcess | undefined;
  const startRedis = (port: number) => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  };
  afterEach(() => void redis?.kill('SIGKILL'));

  it('logs exactly one "down" and one "back" line, all JSON, no stack traces', async () => {
    const port = await freePort();
    startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    while (!(await pingRedis(url, 300))) await new Promise((resolve) => setTimeout(resolve, 100));
    const slack = await new FakeSlack().start();
    let phase: 'up' | 'down' | 'back' = 'up';
    let logged = '';
    const run = runCli(['worker'], {
      env: { OFOX_API_KEY: 'k', REDIS_URL: url, WORKER_INSTANCES: '1', SHUTDOWN_GRACE_MS: '500', SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl },
      onOutput: (output) => (logged = output),
      until: (output) => phase === 'back' && output.includes('redis is back'),
      timeoutMs: 100_000,
    });
    await until(() => logged.includes('workers ready'));
    // Four seconds without Redis: every connection of the process notices, and reconnects every 200 ms to 5 s.
    redis?.kill('SIGKILL');
    phase = 'down';
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    startRedis(port);
    phase = 'back';
    const result = await run;
    await slack.stop();
    const lines = result.output.split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const messages: Array<string | undefined> = lines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    expect(messages.filter((msg) => msg === 'redis is down; retrying quietly')).toHaveLength(1);
    expect(messages.filter((msg) => msg === 'redis is back')).toHaveLength(1);
    // No line repeats a key (the base `command` and a child's `role` used to both be `role`).
    expect(lines.flatMap(duplicateTopLevelKeys)).toEqual([]);
    expect(stackLines(result.output)).toEqual([]);
  });
});
