import type { CommandReply } from './types.ts';
import type { SettingsLevel } from '../settings/index.ts';

/** Settings changes: the whole channel should see them. */
export function announce(text: string): CommandReply {
  return { text, ephemeral: false };
}

/** Reads, errors and refusals: only the invoker sees them. */
export function whisper(text: string): CommandReply {
  return { text, ephemeral: true };
}

export function adminOnly(what: string): CommandReply {
  return whisper(
    `Only admins can change ${what}: on Discord, members with the Manage Server permission or a bot admin role; on Slack, the users listed as bot admins. Anyone can view the current setting.`,
  );
}

export function levelName(level: SettingsLevel): string {
  return level === 'workspace' ? 'the whole workspace' : 'this channel';
}
