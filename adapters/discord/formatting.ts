/**
 * Discord renders Markdown itself, so the model's text passes through. `allowed_mentions` already
 * stops pings; a zero-width space in `@everyone` / `@here` keeps them inert even if it were dropped.
 */

const ZERO_WIDTH_SPACE = '\u200b';

/** What the placeholder says until the first token arrives. */
export const PLACEHOLDER_TEXT = '⏳ Thinking…';

export const ENQUEUE_FAILED_TEXT = '⚠️ Sorry, I could not start on that request. Please try again in a moment.';

/**
 * Text the model wrote, made safe to post: mass mentions defused, nothing else touched. When the
 * zero-width spaces would push a full part past the limit, a same-length look-alike `＠` is used.
 */
export function toDiscordText(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  const spaced = text.replace(/@(everyone|here)/g, `@${ZERO_WIDTH_SPACE}$1`);
  return spaced.length <= maxChars ? spaced : text.replace(/@(everyone|here)/g, '\uff20$1');
}

/**
 * The reasoning line as Discord subtext (`-# `, small grey print). It is the model's raw thinking,
 * so every mention form is broken with a zero-width space after `<` or `@`: it shows as written
 * and, on top of `allowed_mentions`, can neither ping nor render as a mention.
 */
export function toDiscordSubtext(line: string): string {
  const inert = line.replace(/\s+/g, ' ').trim().replace(/<(?=[@#])/g, `<${ZERO_WIDTH_SPACE}`).replace(/@(everyone|here)/g, `@${ZERO_WIDTH_SPACE}$1`);
  return inert ? `-# ${inert}` : '';
}

/** Cuts text that must fit one message (command replies, error notices), marking the cut. */
export function fitMessage(text: string, maxChars = 2000): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

export interface MentionNames {
  botId: string;
  /** The bot's managed role, whose mention also addresses the bot. */
  botRoleId?: string;
  /** Display names of mentioned users and roles, by id. */
  users?: ReadonlyMap<string, string>;
  roles?: ReadonlyMap<string, string>;
}

/** A message's text as the model should read it: the bot's mention gone, other mentions as names. */
export function promptFromContent(content: string, names: MentionNames): string {
  return content
    .replace(/<@!?(\d+)>/g, (whole, id: string) => (id === names.botId ? '' : names.users?.has(id) ? `@${names.users.get(id)}` : whole))
    .replace(/<@&(\d+)>/g, (whole, id: string) => (id === names.botRoleId ? '' : names.roles?.has(id) ? `@${names.roles.get(id)}` : whole))
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** A thread title from the prompt: first line, at most 80 characters. */
export function threadNameFrom(prompt: string, fallback: string): string {
  const firstLine = prompt.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  const name = firstLine === '' ? fallback : firstLine;
  return name.length <= 80 ? name : `${name.slice(0, 79)}…`;
}

/** OpenAI-style participant names: letters, digits, `_` and `-`, at most 64. */
export function participantName(name: string): string | undefined {
  const cleaned = name.normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return cleaned === '' ? undefined : cleaned;
}
