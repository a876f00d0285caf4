import type { SettingsLevel } from '../settings/index.ts';

/** The arguments of a settings command with the level flag taken out. */
export interface ParsedArgs {
  level: SettingsLevel;
  /** The rest, trimmed; inner spacing (a persona's line breaks) kept. */
  rest: string;
  /** `rest` split on whitespace. */
  words: string[];
}

/** `--workspace` anywhere (or `workspace` as the first word) targets the workspace; otherwise the channel. */
export function parseArgs(args: string): ParsedArgs {
  let rest = args.trim();
  let level: SettingsLevel = 'channel';
  const flag = /(^|\s)--workspace(?=\s|$)/;
  if (flag.test(rest)) {
    level = 'workspace';
    rest = rest.replace(flag, ' ').trim();
  } else if (/^workspace(?=\s|$)/i.test(rest)) {
    level = 'workspace';
    rest = rest.slice('workspace'.length).trim();
  }
  return { level, rest, words: rest.split(/\s+/).filter((word) => word.length > 0) };
}
