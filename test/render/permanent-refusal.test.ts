import { describe, expect, it } from 'vitest';
import type { RenderWriteError} from '../../src/render/index.ts';
import { LocalWritePacer, ProgressiveMessage, type Surface } from '../../src/render/index.ts';

class RefusedError extends Error {
  override name = 'RefusedError';
  readonly permanent = true;
}

describe('a platform that refuses the answer for good', () => {
  it('stops writing after the first refusal, tells the caller once, and fails finish with the reason', async () => {
    let writes = 0;
    const surface: Surface = {
      limits: { maxChars: 2_000, minEditIntervalMs: 1 },
      channelKey: 'refusing',
      async create() {
        writes += 1;
        throw new RefusedError('Missing Permissions');
      },
      async edit() {
        writes += 1;
        throw new RefusedError('Missing Permissions');
      },
    };
    const refusals: RenderWriteError[] = [];
    const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer(), onRefused: (error) => refusals.push(error) });
    message.setBody('hello');
    await new Promise((resolve) => setTimeout(resolve, 50));
    message.setBody('hello world, more text that will never be shown');
    await expect(message.finish({ outcome: 'complete' })).rejects.toThrow(/refused the message: .*Missing Permissions/);
    expect(writes).toBe(1);
    expect(refusals).toHaveLength(1);
  });
});
