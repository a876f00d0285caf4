import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.ts';
import { loadConfig } from '../../src/config.ts';
import { startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { testRedisUrl } from '../helpers/redis.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'doctor-key' });
});
afterAll(() => fake.close());

const configWith = (env: Record<string, string>) =>
  loadConfig({ OFOX_BASE_URL: fake.openaiBaseUrl, REDIS_URL: testRedisUrl(), ...env }, '/nonexistent/.env');

describe('ofox-bot doctor', () => {
  it('passes Redis and OfoxAI when the key works and the model exists, and prints no secret', async () => {
    const report = await runDoctor(configWith({ OFOX_API_KEY: 'doctor-key', OFOX_MODEL: 'openai/gpt-4o' }));
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName.redis?.ok).toBe(true);
    expect(byName.ofoxai?.ok).toBe(true);
    expect(byName.platforms?.ok).toBe(false);
    expect(JSON.stringify(report)).not.toContain('doctor-key');
  });

  it('fails OfoxAI with a readable reason for a bad key, without echoing it', async () => {
    const report = await runDoctor(configWith({ OFOX_API_KEY: 'wrong-key-123' }));
    const check = report.checks.find((entry) => entry.name === 'ofoxai')!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/key|auth/i);
    expect(check.detail).not.toContain('wrong-key-123');
  });

  it('says when the configured model is not offered', async () => {
    const report = await runDoctor(configWith({ OFOX_API_KEY: 'doctor-key', OFOX_MODEL: 'nobody/none' }));
    expect(report.checks.find((entry) => entry.name === 'ofoxai')?.detail).toContain('nobody/none');
  });
});
