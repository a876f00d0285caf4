import { z } from 'zod';
import { bool, list, optionalString, optionalUrl, type Config, type Role } from '../../src/config.ts';

/** Discord's environment variables, merged into the one config schema through the platform registry. */
export const discordConfigShape = {
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: optionalUrl,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_ADMIN_ROLE_IDS: list,
  DISCORD_THREAD_PER_CONVERSATION: bool(false),

  // Sharding (sharding.ts). Unset: one process holds every shard.
  /** Total shards of the bot across every gateway process: a number, or `auto` (Discord's recommendation). */
  DISCORD_SHARD_COUNT: z
    .string()
    .optional()
    .transform((value, context) => {
      const text = value?.trim().toLowerCase() ?? '';
      if (text === '') return undefined;
      if (text === 'auto') return 'auto' as const;
      if (!/^\d+$/.test(text) || Number(text) < 1) {
        context.addIssue({ code: 'custom', message: `"${value}" is not a shard count (a whole number of at least 1, or auto)` });
        return z.NEVER;
      }
      return Number(text);
    }),
  /** The shards this process holds: ids and ranges, e.g. `0-3,6`. Unset: every shard. */
  DISCORD_SHARD_IDS: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value.trim() === '') return undefined;
      const ids = new Set<number>();
      for (const part of value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)) {
        const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
        const first = Number(match?.[1]);
        const last = match?.[2] === undefined ? first : Number(match[2]);
        if (!match || last < first || last - first > 100_000) {
          context.addIssue({ code: 'custom', message: `"${part}" is not a shard id or a range like 0-3` });
          continue;
        }
        for (let id = first; id <= last; id += 1) ids.add(id);
      }
      return [...ids].sort((left, right) => left - right);
    }),
};

export type DiscordConfig = z.infer<z.ZodObject<typeof discordConfigShape>>;

declare module '../../src/config.ts' {
  interface PlatformConfigs {
    discord: DiscordConfig;
  }
}

export const DISCORD_SECRET_KEYS = ['DISCORD_TOKEN'] as const;

export function discordConfigured(config: Config): boolean {
  return Boolean(config.DISCORD_TOKEN && config.DISCORD_APPLICATION_ID);
}

/** Half a Discord configuration is a mistake worth naming; none at all is fine unless the role is Discord's own. */
export function discordConfigProblems(config: Config, role: Role): string[] {
  const problems: string[] = [];
  const started = Boolean(config.DISCORD_TOKEN || config.DISCORD_APPLICATION_ID);
  if (role === 'register-commands' && !started) return ['DISCORD_TOKEN and DISCORD_APPLICATION_ID: required to register slash commands'];
  if (role !== 'gateway' && role !== 'start' && role !== 'register-commands') return problems;
  if (started && !config.DISCORD_TOKEN) problems.push('DISCORD_TOKEN: required when Discord is configured');
  if (started && !config.DISCORD_APPLICATION_ID) problems.push('DISCORD_APPLICATION_ID: required when Discord is configured');
  problems.push(...shardProblems(config));
  return problems;
}

/** Sharding settings that contradict each other. */
function shardProblems(config: Config): string[] {
  const count = config.DISCORD_SHARD_COUNT;
  const problems: string[] = [];
  if (typeof count === 'number' && config.DISCORD_SHARD_IDS?.some((id) => id >= count)) {
    problems.push(`DISCORD_SHARD_IDS: shard ids run from 0 to ${count - 1} when DISCORD_SHARD_COUNT is ${count}`);
  }
  if (config.DISCORD_SHARD_IDS !== undefined && count === undefined) problems.push('DISCORD_SHARD_COUNT: required with DISCORD_SHARD_IDS (a number, or auto)');
  return problems;
}
