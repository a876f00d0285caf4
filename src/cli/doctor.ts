import type { Config } from '../config.ts';
import { discordEnabled, redactConfig, slackEnabled } from '../config.ts';
import { createLlmClient, describeLlmError, llmClientOptionsFromConfig } from '../llm/index.ts';
import { createRedisConnection } from '../queue/redis-connection.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const TIMEOUT_MS = 10_000;

async function check(name: string, run: () => Promise<string>): Promise<DoctorCheck> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** `ofox-bot doctor`: every dependency the configuration names, checked once, none of it secret. */
export async function runDoctor(config: Config): Promise<{ checks: DoctorCheck[]; config: Record<string, unknown> }> {
  const checks: DoctorCheck[] = [];

  checks.push(
    await check('redis', async () => {
      const redis = createRedisConnection(config.REDIS_URL, 'client', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      try {
        await redis.connect();
        const pong = await redis.ping();
        const policy = ((await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[])[1];
        if (policy && policy !== 'noeviction') return `${pong}; WARNING maxmemory-policy is ${policy}, BullMQ needs noeviction`;
        return `${pong}${policy ? `; maxmemory-policy ${policy}` : ''}`;
      } finally {
        redis.disconnect();
      }
    }),
  );

  checks.push(
    await check('ofoxai', async () => {
      if (!config.OFOX_API_KEY) throw new Error('OFOX_API_KEY is not set');
      const llm = createLlmClient(llmClientOptionsFromConfig(config));
      const models = await llm.listModels({ signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((error: unknown) => {
        throw new Error(describeLlmError(error), { cause: error });
      });
      if (!models.some((model) => model.id === config.OFOX_MODEL)) {
        throw new Error(`key works (${models.length} models), but OFOX_MODEL ${config.OFOX_MODEL} is not among them`);
      }
      return `key works; ${models.length} models; ${config.OFOX_MODEL} available`;
    }),
  );

  if (discordEnabled(config)) {
    checks.push(
      await check('discord', async () => {
        const base = config.DISCORD_API_URL ?? 'https://discord.com/api';
        const response = await fetch(`${base}/v10/users/@me`, {
          headers: { authorization: `Bot ${config.DISCORD_TOKEN}` },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`Discord answered ${response.status}: check DISCORD_TOKEN`);
        const user = (await response.json()) as { username?: string; id?: string };
        if (user.id && user.id !== config.DISCORD_APPLICATION_ID) return `bot ${user.username}; note: DISCORD_APPLICATION_ID differs from the bot user id (fine for older apps)`;
        return `bot ${user.username}`;
      }),
    );
  }

  if (slackEnabled(config)) {
    checks.push(
      await check('slack', async () => {
        const base = config.SLACK_API_URL ?? 'https://slack.com/api';
        const response = await fetch(`${base}/auth.test`, {
          method: 'POST',
          headers: { authorization: `Bearer ${config.SLACK_BOT_TOKEN}` },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const body = (await response.json()) as { ok?: boolean; error?: string; team?: string; user?: string };
        if (!body.ok) throw new Error(`Slack refused the token: ${body.error ?? response.status}`);
        return `${body.user} in ${body.team}`;
      }),
    );
  }

  if (!discordEnabled(config) && !slackEnabled(config)) {
    checks.push({ name: 'platforms', ok: false, detail: 'neither Discord nor Slack is configured' });
  }
  return { checks, config: redactConfig(config) };
}
