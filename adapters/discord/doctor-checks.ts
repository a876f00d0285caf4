import type { Config } from '../../src/config.ts';
import type { PlatformDoctorCheck } from '../../src/runtime/platform.ts';

/** @defaultValue 10 s: a doctor run should never hang on one service. */
const TIMEOUT_MS = 10_000;

/** The bot token works, and names the bot (never the token). */
export function discordDoctorChecks(config: Config): PlatformDoctorCheck[] {
  return [
    {
      name: 'discord',
      async run() {
        const base = config.DISCORD_API_URL ?? 'https://discord.com/api';
        const response = await fetch(`${base}/v10/users/@me`, {
          headers: { authorization: `Bot ${config.DISCORD_TOKEN}` },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`Discord answered ${response.status}: check DISCORD_TOKEN`);
        const user = (await response.json()) as { username?: string; id?: string };
        if (user.id && user.id !== config.DISCORD_APPLICATION_ID) return `bot ${user.username}; note: DISCORD_APPLICATION_ID differs from the bot user id (fine for older apps)`;
        return `bot ${user.username}`;
      },
    },
  ];
}
