import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A pino logger at `info` whose JSON lines the test can read back, parsed. */
export function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info', base: undefined }, stream), lines };
}
