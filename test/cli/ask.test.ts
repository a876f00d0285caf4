import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsk } from '../../src/cli/ask.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { finish, reply, startFakeOfox, text, toolCall, type FakeOfox } from '../fakes/ofox/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

let fake: FakeOfox;
let config: Config;

beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'ask-key' });
  config = loadConfig(
    {
      OFOX_API_KEY: 'ask-key',
      OFOX_BASE_URL: fake.openaiBaseUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: newTestPrefix('ask'),
      HEALTH_PORT: '0',
      OFOX_BOT_CONFIG: '',
    },
    '/nonexistent/.env',
  );
});

afterAll(async () => {
  await fake.close();
  await deleteKeys(config.REDIS_KEY_PREFIX);
});

describe('ofox-bot ask', () => {
  it('runs a real job through Redis and a worker and renders the answer with its tool line in place', async () => {
    fake.respond((request) =>
      JSON.stringify(request.body).includes('"role":"tool"')
        ? reply('That is **397.8**.', { chunkSize: 3 })
        : [text('Calculating. '), toolCall('calculator', { expression: '2340*0.17' }), finish('tool-calls')],
    );
    const writes: string[] = [];
    const result = await runAsk('What is 17% of 2,340?', config, silentLogger(), {}, { write: (chunk: string) => writes.push(chunk), isTTY: true, columns: 100 });
    expect(result.outcome).toBe('complete');
    const screen = writes.join('');
    // Later frames move the cursor back over earlier ones instead of appending.
    expect(screen).toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d+F${String.fromCharCode(27)}\\[J`));
    const lastFrame = writes.at(-1)!;
    expect(lastFrame).toContain('Calculating.');
    expect(lastFrame).toContain('That is **397.8**.');
    expect(lastFrame).toMatch(/calculator.*done/);
  });

  it('prints only the final answer when the output is not a terminal', async () => {
    fake.respond(() => reply('plain answer'));
    const writes: string[] = [];
    await runAsk('hi', config, silentLogger(), {}, { write: (chunk: string) => writes.push(chunk), isTTY: false });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^plain answer/);
  });
});
