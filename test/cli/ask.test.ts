import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsk } from '../../src/cli/ask.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { finish, reply, startFakeOfox, text, toolCall, usage, type FakeOfox } from '../fakes/ofox/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

let fake: FakeOfox;
let config: Config;

const ESC = String.fromCharCode(27);
const plain = (screen: string) => screen.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), '');

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

const calculatorThenAnswer = () =>
  fake.respond((request) =>
    JSON.stringify(request.body).includes('"role":"tool"')
      ? [text('That is **397.8**.', { chunkSize: 3 }), usage(120, 9), finish('stop')]
      : [text('Calculating. '), toolCall('calculator', { expression: '2340*0.17' }), usage(80, 12), finish('tool-calls')],
  );

describe('ofox-bot ask', () => {
  it('draws in place: the tool call with its arguments and result, rendered markdown, and a footer', async () => {
    calculatorThenAnswer();
    const writes: string[] = [];
    const result = await runAsk({ question: 'What is 17% of 2,340?' }, config, silentLogger(), {}, { write: (chunk: string) => writes.push(chunk), isTTY: true, columns: 100 });
    expect(result.outcome).toBe('complete');
    // Later frames move the cursor back over earlier ones instead of appending.
    expect(writes.join('')).toMatch(new RegExp(`${ESC}\\[\\d+F${ESC}\\[J`));
    const lastFrame = plain(writes.at(-2)!);
    expect(lastFrame).toContain('✔ calculator({"expression":"2340*0.17"})');
    expect(lastFrame).toContain('  → 2340*0.17 = 397.8');
    // Markdown is rendered: the asterisks are gone.
    expect(lastFrame).toContain('That is 397.8.');
    expect(lastFrame).not.toContain('**');
    const footer = plain(writes.at(-1)!);
    expect(footer).toMatch(/^openai\/gpt-4o · 200 in \/ 21 out tokens · first token \d+ ms · total \d+(\.\d)? m?s\n$/);
    expect(result).toMatchObject({ model: 'openai/gpt-4o', inputTokens: 200, outputTokens: 21, tools: [{ name: 'calculator', input: { expression: '2340*0.17' }, result: '2340*0.17 = 397.8' }] });
  });

  it('prints only the final answer when the output is not a terminal', async () => {
    fake.respond(() => reply('plain answer'));
    const writes: string[] = [];
    await runAsk({ question: 'hi' }, config, silentLogger(), {}, { write: (chunk: string) => writes.push(chunk), isTTY: false });
    expect(writes).toEqual(['plain answer\n']);
  });

  it('--json prints one object; --model and --persona reach the request', async () => {
    fake.respond(() => reply('in character'));
    const writes: string[] = [];
    const result = await runAsk({ question: 'hi', json: true, model: 'openai/gpt-4o-mini', persona: 'You are a pirate.' }, config, silentLogger(), {}, { write: (chunk: string) => writes.push(chunk), isTTY: true });
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0]!)).toMatchObject({ outcome: 'complete', answer: 'in character', model: 'openai/gpt-4o-mini' });
    expect(result.answer).toBe('in character');
    const body = fake.requests.at(-1)!.body as { model: string; messages: Array<{ role: string; content: string }> };
    expect(body.model).toBe('openai/gpt-4o-mini');
    expect(body.messages.find((message) => message.role === 'system')?.content).toContain('You are a pirate.');
  });
});
