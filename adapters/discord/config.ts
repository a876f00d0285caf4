import type { z } from 'zod';
import { bool, list, optionalString, optionalUrl, type Config, type Role } from '../../src/config.ts';

/** Discord's environment variables, merged into the one config schema through the platform registry. */
export const discordConfigShape = {
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: optionalUrl,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_ADMIN_ROLE_IDS: list,
  DISCORD_THREAD_PER_CONVERSATION: bool(false),
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
  return problems;
}
