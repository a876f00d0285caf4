import { Client, Events, GatewayIntentBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.ts';

/** The fake must answer like Discord, or the adapter's tests prove nothing. */

async function call(fake: FakeDiscord, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${fake.apiUrl}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

describe('fake Discord', () => {
  it("answers 429 with Discord's headers and body once a channel's edit bucket is empty", async () => {
    const fake = await FakeDiscord.start({ rateLimits: { messageEdit: { limit: 2, windowMs: 4000 } } });
    try {
      const created = await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'a' });
      const id = (created.json as { id: string }).id;
      const first = await call(fake, 'PATCH', `/channels/${fake.channel.id}/messages/${id}`, { content: 'b' });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(Number(first.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(3.5);
      expect(first.headers.get('x-ratelimit-bucket')).toBeTruthy();
      await call(fake, 'PATCH', `/channels/${fake.channel.id}/messages/${id}`, { content: 'c' });
      const limited = await call(fake, 'PATCH', `/channels/${fake.channel.id}/messages/${id}`, { content: 'd' });
      expect(limited.status).toBe(429);
      expect(limited.json).toMatchObject({ message: 'You are being rate limited.', global: false });
      expect((limited.json as { retry_after: number }).retry_after).toBeGreaterThan(3);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d+\.\d{3}$/);
      expect(fake.rateLimitedCount).toBe(1);
      expect(fake.message(id)?.content).toBe('c');
    } finally {
      await fake.stop();
    }
  });

  it('refuses content over 2,000 characters with Invalid Form Body', async () => {
    const fake = await FakeDiscord.start();
    try {
      const response = await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'x'.repeat(2001) });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({
        code: 50035,
        message: 'Invalid Form Body',
        errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
      });
      expect(fake.clientErrorCount).toBe(1);
    } finally {
      await fake.stop();
    }
  });

  it('returns the message already made for a repeated nonce when enforce_nonce is set, per channel', async () => {
    const fake = await FakeDiscord.start({ rateLimits: { messageCreate: false } });
    try {
      const other = fake.addTextChannel('other');
      const first = await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'a', nonce: 'n-1', enforce_nonce: true });
      const again = await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'a, later', nonce: 'n-1', enforce_nonce: true });
      expect(again.status).toBe(200);
      expect((again.json as { id: string }).id).toBe((first.json as { id: string }).id);
      expect(fake.contentsIn(fake.channel.id)).toEqual(['a']);
      // Without enforce_nonce, or in another channel, the nonce dedupes nothing.
      await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'b', nonce: 'n-1' });
      await call(fake, 'POST', `/channels/${other.id}/messages`, { content: 'c', nonce: 'n-1', enforce_nonce: true });
      expect(fake.contentsIn(fake.channel.id)).toEqual(['a', 'b']);
      expect(fake.contentsIn(other.id)).toEqual(['c']);
      const long = await call(fake, 'POST', `/channels/${fake.channel.id}/messages`, { content: 'd', nonce: 'x'.repeat(26), enforce_nonce: true });
      expect(long.status).toBe(400);
    } finally {
      await fake.stop();
    }
  });

  it('lists channel messages newest first, before an id, up to a limit', async () => {
    const fake = await FakeDiscord.start({ rateLimits: { messageCreate: false } });
    try {
      const ids = [];
      for (let index = 0; index < 5; index++) ids.push(fake.userSays({ content: `m${index}` }).id);
      const page = await call(fake, 'GET', `/channels/${fake.channel.id}/messages?before=${ids[4]}&limit=2`);
      expect((page.json as { content: string }[]).map((message) => message.content)).toEqual(['m3', 'm2']);
      const unauthorized = await fetch(`${fake.apiUrl}/v10/channels/${fake.channel.id}/messages`);
      expect(unauthorized.status).toBe(401);
    } finally {
      await fake.stop();
    }
  });

  it('refuses a late interaction acknowledgement as Discord does after 3 s', async () => {
    const fake = await FakeDiscord.start({ interactionAckDeadlineMs: 0 });
    try {
      const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'x' } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await fetch(`${fake.apiUrl}/v10/interactions/${interaction.id}/${interaction.token}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 5 }),
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 10062 });
    } finally {
      await fake.stop();
    }
  });

  it('keeps a real discord.js client connected with heartbeats and acknowledgements', async () => {
    const fake = await FakeDiscord.start({ heartbeatIntervalMs: 100 });
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    try {
      const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
      await client.login(fake.token);
      await ready;
      expect(client.user?.id).toBe(fake.bot.id);
      expect(client.application?.id).toBe(fake.applicationId);
      expect(client.guilds.cache.get(fake.guild.id)?.channels.cache.has(fake.channel.id)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(fake.gateway.received.filter((frame) => frame.op === 1).length).toBeGreaterThanOrEqual(3);
      expect(client.ws.ping).toBeGreaterThanOrEqual(0);
      expect(fake.gateway.connectedSessions()).toBe(1);
    } finally {
      await client.destroy();
      await fake.stop();
    }
  });
});
