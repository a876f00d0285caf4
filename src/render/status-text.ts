import type { ToolStatus } from './surface.ts';

/**
 * The short lines around an answer's text: tool progress, a transient notice, and the footer that
 * says how the answer ended. Plain markdown every platform renders (the adapters translate it).
 */

/** How an answer ended. */
export type AnswerOutcome =
  /** The model finished. */
  | 'complete'
  /** Someone pressed Stop (or the job was cancelled). */
  | 'stopped'
  /** The answer could not be completed; the reason says why. */
  | 'error';

export interface FooterParts {
  outcome: AnswerOutcome;
  /** Why it failed or stopped, or a note on a complete answer ("hit the output length limit"). */
  reason?: string;
  /** The text was regenerated after an interrupted attempt, so it may have changed on screen. */
  retried?: boolean;
}

const MAX_SUMMARY_CHARS = 80;
const MAX_REASON_CHARS = 200;

/** One line per tool call, e.g. "✅ **web_search** `ofox pricing` — done in 1.2 s". */
export function toolStatusLine(status: ToolStatus): string {
  // The summary is a code span, so whatever the arguments hold (underscores, asterisks) shows as is.
  const summary = codeSpanText(status.summary, MAX_SUMMARY_CHARS);
  const head = `**${status.name.replace(/[^\w.-]/g, '').slice(0, 64) || 'tool'}**${summary ? ` \`${summary}\`` : ''}`;
  switch (status.state) {
    case 'running':
      return `⏳ ${head} — running…`;
    case 'done':
      return `✅ ${head} — done${status.durationMs === undefined ? '' : ` in ${formatDuration(status.durationMs)}`}`;
    case 'failed':
      return `❌ ${head} — failed${status.error ? `: ${inline(status.error, MAX_SUMMARY_CHARS)}` : ''}`;
    case 'awaiting-approval':
      return `✋ ${head} — waiting for approval`;
  }
}

/**
 * Tool lines that fit in `maxChars`: the newest calls win, older ones fold into a count, since the
 * latest activity is what someone watching wants to see.
 */
export function toolStatusBlock(statuses: readonly ToolStatus[], maxChars: number): string {
  const lines = statuses.map(toolStatusLine);
  for (let shown = lines.length; shown > 0; shown -= 1) {
    const hidden = lines.length - shown;
    const block = [...(hidden > 0 ? [`… ${hidden} earlier tool call${hidden === 1 ? '' : 's'}`] : []), ...lines.slice(hidden)].join('\n');
    if (block.length <= maxChars) return block;
  }
  return lines.length > 0 ? truncate(`… ${lines.length} tool call${lines.length === 1 ? '' : 's'}`, maxChars) : '';
}

/** A transient line such as "queued: waiting for the team's model budget…", in italics. */
export function noticeLine(notice: string | undefined): string {
  const text = inline(notice ?? '', MAX_REASON_CHARS);
  return text ? `_${text}_` : '';
}

/** Longest reasoning line shown (a line of small print, not a paragraph). */
export const MAX_REASONING_LINE_CHARS = 150;

/** `status` mode: "💭 thinking…", then with the whole seconds so far. */
export function reasoningStatusLine(elapsedMs: number): string {
  const seconds = Math.floor(Math.max(0, elapsedMs) / 1_000);
  return seconds < 1 ? '💭 thinking…' : `💭 thinking… ${seconds} s`;
}

/**
 * `summary` mode: the last non-empty line of the reasoning so far, on one line without markdown
 * (it is the model's raw thinking, shown as small print), or '' before it has written a word.
 */
export function reasoningSummaryLine(reasoning: string): string {
  const lines = reasoning.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = inline(lines[index] ?? '', MAX_REASONING_LINE_CHARS - 3);
    if (line) return `💭 ${line}`;
  }
  return '';
}

/** The footer line for how the answer ended, or '' when there is nothing to say. */
export function footerLine(parts: FooterParts): string {
  const detail = inline(parts.reason ?? '', MAX_REASON_CHARS);
  const notes: string[] = [];
  if (parts.outcome === 'stopped') notes.push(detail ? `⏹ stopped: ${detail}` : '⏹ stopped');
  else if (parts.outcome === 'error') notes.push(`⚠️ error: ${detail || 'the answer could not be completed'}`);
  else if (detail) notes.push(`ℹ️ ${detail}`);
  if (parts.retried) notes.push('↻ regenerated after an interrupted attempt');
  return notes.length > 0 ? `_${notes.join(' · ')}_` : '';
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

// Status text must stay on one line and never open code or emphasis that swallows what follows.
function inline(text: string, maxChars: number): string {
  return truncate(text.replace(/[`*_~|]/g, ' ').replace(/\s+/g, ' ').trim(), maxChars);
}

function codeSpanText(text: string, maxChars: number): string {
  return truncate(text.replace(/`/g, "'").replace(/\s+/g, ' ').trim(), maxChars);
}

/** The text cut to `maxChars` with an ellipsis, never between the halves of a surrogate pair. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars - 1);
  if (end > 0 && text.charCodeAt(end - 1) >= 0xd800 && text.charCodeAt(end - 1) <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
