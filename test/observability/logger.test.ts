import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, prettyLogs } from '../../src/observability/logger.ts';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream: Object.assign(stream, { write: stream.write.bind(stream) }), text: () => chunks.join('') };
}

describe('log format', () => {
  it('is JSON in production and in pipes, readable on a terminal, and what LOG_FORMAT says when set', () => {
    expect(prettyLogs({ format: 'auto', terminal: true, nodeEnv: 'development' })).toBe(true);
    expect(prettyLogs({ format: 'auto', terminal: true, nodeEnv: 'production' })).toBe(false);
    expect(prettyLogs({ format: 'auto', terminal: false, nodeEnv: 'development' })).toBe(false);
    expect(prettyLogs({ format: 'pretty', terminal: false, nodeEnv: 'production' })).toBe(true);
    expect(prettyLogs({ format: 'json', terminal: true, nodeEnv: 'development' })).toBe(false);
  });

  it('pretty: one line per entry, the error message without its stack, secrets scrubbed', async () => {
    const out = sink();
    const log = createLogger({ format: 'pretty', destination: out.stream, secrets: ['sk-very-secret'], base: { command: 'start' } });
    log.warn({ err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), key: 'sk-very-secret' }, 'redis is down');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: redis is down \(connect ECONNREFUSED 127\.0\.0\.1:6379\) \{"command":"start","key":"\[redacted\]"\}$/);
    expect(lines[0]).toContain('connect ECONNREFUSED 127.0.0.1:6379');
    expect(lines[0]).not.toMatch(/\s+at /);
    expect(lines[0]).not.toContain('sk-very-secret');
  });

  it('json: the stack stays inside the JSON string', async () => {
    const out = sink();
    const log = createLogger({ format: 'json', destination: out.stream });
    log.error({ err: new Error('boom') }, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'failed', err: { message: 'boom' } });
  });
});
