import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MANIFEST_BOT_SCOPES } from '../../adapters/slack/doctor.ts';
import { loadDoctorConfig, runDoctor, type DoctorCheck } from '../../src/cli/doctor.ts';
import { printDoctorReport } from '../../src/cli/doctor-report.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { FakeSocketMode } from '../fakes/slack/socket-mode.ts';
import { freePort } from '../helpers/free-port.ts';
import { testRedisUrl } from '../helpers/redis.ts';

let fake: FakeOfox;
let discord: FakeDiscord;
let slack: FakeSlack;
let socketMode: FakeSocketMode;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'doctor-key' });
  discord = await FakeDiscord.start();
  slack = await new FakeSlack().start();
  socketMode = await new FakeSocketMode(slack).start();
});
afterAll(async () => {
  await fake.close();
  await discord.stop();
  await socketMode.stop();
  await slack.stop();
});

const doctor = (env: Record<string, string>) => {
  const full = { OFOX_BASE_URL: fake.openaiBaseUrl, REDIS_URL: testRedisUrl(), OFOX_BOT_CONFIG: '', ...env };
  const { config, problems } = loadDoctorConfig(full);
  return runDoctor(config, full, problems);
};
const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((check) => [check.name, check]));
const discordEnv = () => ({ DISCORD_TOKEN: discord.token, DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_URL: discord.apiUrl });
const slackEnv = () => ({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: socketMode.appToken, SLACK_API_URL: slack.apiUrl });

describe('ofox-bot doctor', () => {
  it('passes every check when everything is right, and prints no secret', async () => {
    const registered = await fetch(`${discord.apiUrl}/v10/applications/${discord.applicationId}/commands`, {
      method: 'PUT',
      headers: { authorization: `Bot ${discord.token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'ask', description: 'Ask the assistant', type: 1 }]),
    });
    expect(registered.status).toBe(200);
    const report = await doctor({ OFOX_API_KEY: 'doctor-key', OFOX_MODEL: 'openai/gpt-4o', ...discordEnv(), ...slackEnv() });
    const checks = byName(report.checks);
    expect(Object.keys(checks)).toEqual(['config', 'redis', 'ofoxai key', 'ofoxai model', 'ofoxai protocol', 'discord token', 'discord intent', 'discord commands', 'slack token', 'slack scopes', 'slack events', 'mcp']);
    expect(checks['slack events']?.detail).toBe('Socket Mode: SLACK_APP_TOKEN opens a connection');
    expect(checks['discord intent']).toMatchObject({ ok: true, detail: 'Message Content intent is on' });
    expect(checks.redis?.detail).toMatch(/^Redis \d+\.\d+\.\d+; appendonly (yes|no); maxmemory-policy noeviction$/);
    for (const secret of ['doctor-key', discord.token, slack.botToken, socketMode.appToken]) expect(JSON.stringify(report.checks)).not.toContain(secret);
  });

  it('checks everything else when OFOX_API_KEY is missing, and a bad variable does not stop the rest', async () => {
    const report = await doctor({ JOB_LOCK_MS: 'soon', ...slackEnv() });
    const checks = byName(report.checks);
    expect(checks.config).toMatchObject({ ok: false });
    expect(checks.config?.detail).toContain('JOB_LOCK_MS');
    expect(checks.config?.detail).toContain('OFOX_API_KEY: required');
    expect(checks.ofoxai).toMatchObject({ ok: false, detail: 'OFOX_API_KEY is not set' });
    expect(checks.redis?.ok).toBe(true);
    expect(checks['slack token']?.ok).toBe(true);
  });

  it('fails OfoxAI with a readable reason for a bad key, naming the URL, without echoing the key', async () => {
    const report = await doctor({ OFOX_API_KEY: 'wrong-key-123' });
    const check = byName(report.checks)['ofoxai key']!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/key|auth/i);
    expect(check.tried).toBe(`${fake.openaiBaseUrl}/models`);
    expect(JSON.stringify(check)).not.toContain('wrong-key-123');
  });

  it('says when the configured model is not offered', async () => {
    const report = await doctor({ OFOX_API_KEY: 'doctor-key', OFOX_MODEL: 'nobody/none' });
    expect(byName(report.checks)['ofoxai model']).toMatchObject({ ok: false });
    expect(byName(report.checks)['ofoxai model']?.detail).toContain('OFOX_MODEL nobody/none is not among the');
  });

  it('names an unreachable Redis and the fix', async () => {
    const port = await freePort();
    const check = byName((await doctor({ REDIS_URL: `redis://127.0.0.1:${port}` })).checks).redis!;
    expect(check).toMatchObject({ ok: false, detail: `cannot connect (connect ECONNREFUSED 127.0.0.1:${port})`, tried: `REDIS_URL=redis://127.0.0.1:${port}`, fix: 'Start Redis there or fix REDIS_URL.' });
  });

  it('Discord: the Message Content intent off and no commands registered, each with its fix', async () => {
    discord.state.applicationFlags = 0;
    try {
      const checks = byName((await doctor({ OFOX_API_KEY: 'doctor-key', ...discordEnv(), DISCORD_GUILD_ID: '123456789012345678' })).checks);
      expect(checks['discord intent']).toMatchObject({ ok: false, tried: `${discord.apiUrl}/v10/applications/@me` });
      expect(checks['discord intent']?.fix).toContain('Message Content Intent');
      expect(checks['discord commands']).toMatchObject({ ok: false, detail: 'no slash commands registered in guild 123456789012345678', fix: 'Run `npx ofox-bot register-commands`.' });
    } finally {
      discord.state.applicationFlags = 1 << 18;
    }
  });

  it('Discord: a refused token says what Discord answered', async () => {
    const checks = byName((await doctor({ ...discordEnv(), DISCORD_TOKEN: 'wrong' })).checks);
    expect(checks['discord token']).toMatchObject({ ok: false, detail: 'Discord answered 401 to DISCORD_TOKEN', tried: `${discord.apiUrl}/v10/users/@me` });
  });

  it('Slack: missing scopes are named; a refused app token is named', async () => {
    slack.oauthScopes = MANIFEST_BOT_SCOPES.filter((scope) => scope !== 'files:read' && scope !== 'im:history');
    try {
      const checks = byName((await doctor({ ...slackEnv(), SLACK_APP_TOKEN: 'xapp-wrong' })).checks);
      expect(checks['slack scopes']).toMatchObject({ ok: false, detail: 'missing files:read, im:history' });
      expect(checks['slack events']).toMatchObject({ ok: false, detail: 'Socket Mode: Slack refused SLACK_APP_TOKEN: invalid_auth', tried: `${slack.apiUrl}apps.connections.open` });
    } finally {
      slack.oauthScopes = [...MANIFEST_BOT_SCOPES];
    }
  });

  it('asks for exactly the scopes both manifests ask for', () => {
    const http = parse(readFileSync(fileURLToPath(new URL('../../adapters/slack/manifest.yml', import.meta.url)), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
    const socket = JSON.parse(readFileSync(fileURLToPath(new URL('../../adapters/slack/manifest.socket-mode.json', import.meta.url)), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
    expect([...http.oauth_config.scopes.bot].sort()).toEqual([...MANIFEST_BOT_SCOPES].sort());
    expect([...socket.oauth_config.scopes.bot].sort()).toEqual([...MANIFEST_BOT_SCOPES].sort());
  });

  it('prints results first and the configuration only with --verbose', async () => {
    const report = await doctor({ OFOX_API_KEY: 'doctor-key' });
    let quiet = '';
    printDoctorReport(report, { verbose: false, write: (text) => (quiet += text) });
    expect(quiet.split('\n')[0]).toBe('✘ config: DISCORD_TOKEN or SLACK_BOT_TOKEN: configure at least one platform');
    expect(quiet).not.toContain('OFOX_BASE_URL=');
    let verbose = '';
    printDoctorReport(report, { verbose: true, write: (text) => (verbose += text) });
    expect(verbose).toContain(`OFOX_BASE_URL=${fake.openaiBaseUrl}`);
    expect(verbose).toContain('OFOX_API_KEY=[redacted]');
  });
});
