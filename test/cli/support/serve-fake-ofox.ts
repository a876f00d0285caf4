import { finish, reply, startFakeOfox, text, toolCall } from '../../fakes/ofox/index.ts';

/**
 * A fake OfoxAI in its own process, for trying `ofox-bot ask` by hand and for the README capture:
 * prints its OpenAI-protocol base URL, then answers every question with a calculator call and a
 * short markdown answer. `node test/cli/support/serve-fake-ofox.ts [apiKey]`.
 */
const fake = await startFakeOfox({ apiKey: process.argv[2] ?? 'fake-key' });
fake.respond((request) =>
  JSON.stringify(request.body).includes('"role":"tool"')
    ? reply('17% of 2,340 is **397.8**.\n\n- 2,340 × 0.17 = 397.8\n- rounded: **398**', { chunkSize: 4 })
    : [text('Let me calculate that. '), toolCall('calculator', { expression: '2340 * 0.17' }), finish('tool-calls')],
);
process.stdout.write(`${fake.openaiBaseUrl}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
