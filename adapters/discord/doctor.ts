import type { DoctorCheck } from '../../src/runtime/platform.ts';
/**
 * `ofox-bot doctor` for Discord: the token, the Message Content intent the bot needs to read
 * mentions, and whether the slash commands are registered. Plain REST calls, so a refused token is
 * reported with what Discord said instead of a failed gateway login.
 */

export interface DiscordDoctorConfig {
  DISCORD_TOKEN?: string;
  DISCORD_APPLICATION_ID?: string;
  DISCORD_API_URL?: string;
  DISCORD_GUILD_ID?: string;
}


export const DISCORD_DOCTOR_DEFAULTS = {
  /** @defaultValue Discord's public API */
  apiUrl: 'https://discord.com/api',
  timeoutMs: 10_000,
} as const;

/** Application flags (Discord docs, "Application Object"): the verified and unverified grants. */
const GATEWAY_MESSAGE_CONTENT = 1 << 18;
const GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19;

export async function checkDiscord(config: DiscordDoctorConfig, describeError: (error: unknown) => string): Promise<DoctorCheck[]> {
  const base = `${config.DISCORD_API_URL ?? DISCORD_DOCTOR_DEFAULTS.apiUrl}/v10`;
  const get = async (path: string): Promise<{ status: number; body: unknown; url: string }> => {
    const url = `${base}${path}`;
    const response = await fetch(url, { headers: { authorization: `Bot ${config.DISCORD_TOKEN}` }, signal: AbortSignal.timeout(DISCORD_DOCTOR_DEFAULTS.timeoutMs) });
    return { status: response.status, body: await response.json().catch(() => undefined), url };
  };

  const tokenUrl = `${base}/users/@me`;
  let me;
  try {
    me = await get('/users/@me');
  } catch (error) {
    return [{ name: 'discord token', ok: false, detail: `could not reach Discord (${describeError(error)})`, tried: tokenUrl, fix: 'Check the network, or DISCORD_API_URL if you set it.' }];
  }
  if (me.status !== 200) {
    return [{ name: 'discord token', ok: false, detail: `Discord answered ${me.status} to DISCORD_TOKEN`, tried: tokenUrl, fix: 'Copy the bot token from the Developer Portal (your application → Bot → Reset Token) into DISCORD_TOKEN.' }];
  }
  const user = me.body as { username?: string; id?: string };
  const checks: DoctorCheck[] = [{ name: 'discord token', ok: true, detail: `bot ${user.username ?? user.id ?? '?'}`, tried: tokenUrl }];

  const appUrl = `${base}/applications/@me`;
  try {
    const app = await get('/applications/@me');
    const flags = (app.body as { flags?: number; id?: string } | undefined)?.flags ?? 0;
    const content = (flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)) !== 0;
    checks.push(
      app.status !== 200
        ? { name: 'discord intent', ok: false, detail: `Discord answered ${app.status}`, tried: appUrl }
        : content
          ? { name: 'discord intent', ok: true, detail: 'Message Content intent is on', tried: appUrl }
          : { name: 'discord intent', ok: false, detail: 'the Message Content intent is off: the bot cannot read what people write', tried: appUrl, fix: 'Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent.' },
    );
  } catch (error) {
    checks.push({ name: 'discord intent', ok: false, detail: `could not read the application (${describeError(error)})`, tried: appUrl });
  }

  const scope = config.DISCORD_GUILD_ID ? `/applications/${config.DISCORD_APPLICATION_ID}/guilds/${config.DISCORD_GUILD_ID}/commands` : `/applications/${config.DISCORD_APPLICATION_ID}/commands`;
  try {
    const commands = await get(scope);
    const list = Array.isArray(commands.body) ? (commands.body as Array<{ name?: string }>) : [];
    checks.push(
      commands.status !== 200
        ? { name: 'discord commands', ok: false, detail: `Discord answered ${commands.status}; is DISCORD_APPLICATION_ID this bot's application?`, tried: commands.url, fix: 'Set DISCORD_APPLICATION_ID to the application id (Developer Portal → General Information).' }
        : list.length > 0
          ? { name: 'discord commands', ok: true, detail: `${list.length} registered${config.DISCORD_GUILD_ID ? ` in guild ${config.DISCORD_GUILD_ID}` : ' globally'} (${list.map((command) => `/${command.name}`).join(', ')})`, tried: commands.url }
          : { name: 'discord commands', ok: false, detail: `no slash commands registered${config.DISCORD_GUILD_ID ? ` in guild ${config.DISCORD_GUILD_ID}` : ' globally'}`, tried: commands.url, fix: 'Run `npx ofox-bot register-commands`.' },
    );
  } catch (error) {
    checks.push({ name: 'discord commands', ok: false, detail: `could not list commands (${describeError(error)})`, tried: `${base}${scope}` });
  }
  return checks;
}
