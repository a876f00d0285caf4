/**
 * Just enough of CommonMark's fenced code blocks to keep them balanced across message splits:
 * a fence is a line of three or more backticks or tildes, indented at most three spaces; it closes
 * with the same character, at least as long, and nothing after it.
 */

/** A fenced code block that is open at some point of a text. */
export interface OpenFence {
  char: '`' | '~';
  /** Length of the opening fence; the closing fence must be at least as long. */
  length: number;
  /** The line that reopens the block at the top of the next message, e.g. "```ts". */
  reopen: string;
}

// Longer info strings are cut: the reopened line only has to carry the language for highlighting.
const MAX_LANGUAGE_CHARS = 20;
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** The fence state after one line (given without its newline). */
export function nextFenceState(open: OpenFence | undefined, line: string): OpenFence | undefined {
  // Cheap reject first: almost no line is a fence, and this runs on every line of every snapshot.
  const first = line.charCodeAt(line.charCodeAt(0) === 32 ? line.search(/[^ ]/) : 0);
  if (first !== 96 && first !== 126) return open;
  const match = FENCE_LINE.exec(line);
  if (!match) return open;
  const marker = match[1] ?? '';
  const info = match[2] ?? '';
  const char = marker[0] === '~' ? '~' : '`';
  if (open) {
    const closes = char === open.char && marker.length >= open.length && info.trim() === '';
    return closes ? undefined : open;
  }
  // "```js x = 1```" on one line is not an opening fence (CommonMark), and Discord renders it as a
  // self-contained block, so either way nothing stays open.
  if (char === '`' && info.includes('`')) return undefined;
  const language = (info.trim().split(/\s+/, 1)[0] ?? '').slice(0, MAX_LANGUAGE_CHARS);
  return { char, length: marker.length, reopen: marker + language };
}

/**
 * The fence open at `end` when reading `text` from `start` with `initial` open there. A partial
 * last line counts as a line, as it does at the end of a document.
 */
export function fenceStateAt(
  text: string,
  end = text.length,
  start = 0,
  initial: OpenFence | undefined = undefined,
): OpenFence | undefined {
  let open = initial;
  let lineStart = start;
  while (lineStart < end) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 || newline >= end ? end : newline;
    open = nextFenceState(open, text.slice(lineStart, lineEnd));
    lineStart = lineEnd + 1;
  }
  return open;
}

/** The line that closes `open`. */
export function closingFence(open: OpenFence): string {
  return open.char.repeat(open.length);
}

/** What to append to a text ending inside `open` so the block is closed. */
export function closingSuffix(text: string, open: OpenFence | undefined): string {
  if (!open) return '';
  return (text.endsWith('\n') ? '' : '\n') + closingFence(open);
}

/** The text with a code block it leaves open closed, so a streaming snapshot renders as code. */
export function closeOpenFence(text: string): string {
  return text + closingSuffix(text, fenceStateAt(text));
}

/** True when every fenced code block in the text is closed. */
export function hasBalancedFences(text: string): boolean {
  return fenceStateAt(text) === undefined;
}
