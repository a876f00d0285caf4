import { closingFence, closingSuffix, fenceStateAt, nextFenceState, type OpenFence } from './code-fence.ts';

/**
 * Splits long answers into messages a platform accepts. Cuts fall at a paragraph break, else a line
 * break, else between words; a single token longer than a message is the only thing cut hard.
 * A cut inside a fenced code block closes the fence and reopens it (same language) at the top of
 * the next piece, so every piece renders on its own.
 */

/** The smallest `maxChars` the splitter accepts: room for a reopened fence, its closing and text. */
export const MIN_SPLIT_CHARS = 64;

export interface SplitSegment {
  /** What the message shows: reopened fence line, the slice of the source, closing fence. */
  text: string;
  /** Offset in the source where this piece's slice ends (exclusive). */
  end: number;
  /** The fence open at `end`, reopened at the top of the next piece. */
  openAtEnd: OpenFence | undefined;
}

export interface SplitOptions {
  /** Offset in the source to start from. @defaultValue 0 */
  start?: number;
  /** The fence open at `start`. @defaultValue none */
  openAtStart?: OpenFence;
  /**
   * Characters the last piece must leave free, for status lines and a footer appended to it.
   * Clamped to half of `maxChars`. @defaultValue 0
   */
  reserveLast?: number;
}

/** Splits `text` into pieces of at most `maxChars` characters (UTF-16 units, as JS counts). */
export function splitForLimit(text: string, maxChars: number): string[] {
  return splitSegments(text, maxChars).map((segment) => segment.text);
}

/** {@link splitForLimit} with the offsets the renderer needs to keep earlier pieces stable. */
export function splitSegments(text: string, maxChars: number, options: SplitOptions = {}): SplitSegment[] {
  if (!Number.isInteger(maxChars) || maxChars < MIN_SPLIT_CHARS) {
    throw new RangeError(`maxChars must be an integer of at least ${MIN_SPLIT_CHARS}, got ${maxChars}`);
  }
  const reserveLast = Math.min(Math.max(0, options.reserveLast ?? 0), Math.floor(maxChars / 2));
  const segments: SplitSegment[] = [];
  let position = options.start ?? 0;
  let open = usableFence(options.openAtStart, maxChars);
  for (;;) {
    if (position >= text.length) {
      // Nothing left (the source ends exactly at an earlier cut): an empty last piece, no empty code block.
      segments.push({ text: '', end: text.length, openAtEnd: undefined });
      return segments;
    }
    const header = open ? `${open.reopen}\n` : '';
    // Only scan the rest for fences when it could fit at all: keeps a long source linear overall.
    if (header.length + (text.length - position) + reserveLast <= maxChars) {
      const openAtEnd = fenceStateAt(text, text.length, position, open);
      const body = text.slice(position);
      const last = header + body + closingSuffix(body, openAtEnd);
      if (last.length + reserveLast <= maxChars) {
        segments.push({ text: last, end: text.length, openAtEnd });
        return segments;
      }
    }
    const cut = chooseCut(text, position, open, maxChars - header.length);
    const body = text.slice(position, cut.end);
    const openAtEnd = usableFence(cut.openAtEnd, maxChars);
    segments.push({ text: header + body + closingSuffix(body, openAtEnd), end: cut.end, openAtEnd });
    position = cut.end;
    open = openAtEnd;
  }
}

// A fence whose reopen and closing lines would eat a quarter of a message is not carried over:
// only absurd fences (dozens of backticks) hit this, and it keeps every piece able to hold text.
function usableFence(open: OpenFence | undefined, maxChars: number): OpenFence | undefined {
  if (!open) return undefined;
  return open.reopen.length + open.length + 2 > maxChars / 4 ? undefined : open;
}

// Kinds of line cut, best first.
const PARAGRAPH = 0;
const LINE_OUTSIDE_CODE = 1;
const LINE_INSIDE_CODE = 2;
const LINE_KINDS = [PARAGRAPH, LINE_OUTSIDE_CODE, LINE_INSIDE_CODE] as const;

interface Cut {
  end: number;
  openAtEnd: OpenFence | undefined;
}

interface LineStart {
  at: number;
  open: OpenFence | undefined;
}

/**
 * The best place to end a piece that starts at `position` and may hold `room` characters of the
 * source plus any closing fence. The cut is always before the end of the text, so the caller
 * makes progress and the rest is non-empty.
 */
function chooseCut(text: string, position: number, open: OpenFence | undefined, room: number): Cut {
  const maxEnd = Math.min(position + room, text.length - 1);
  // Prefer cuts in the second half of the room, so pieces stay large; settle for earlier ones.
  const preferredFrom = position + Math.floor(room / 2);
  const best: (Cut | undefined)[][] = [[], []];
  const lines: LineStart[] = [{ at: position, open }];
  let state = open;
  let lineStart = position;
  while (lineStart <= maxEnd) {
    const newline = text.indexOf('\n', lineStart);
    if (newline === -1 || newline + 1 > maxEnd) break;
    const before = state;
    state = nextFenceState(state, text.slice(lineStart, newline));
    const end = newline + 1;
    lines.push({ at: end, open: state });
    const fits = end - position + (state ? state.length : 0) <= room;
    if (fits) {
      const kind = state
        ? LINE_INSIDE_CODE
        : newline === lineStart || (before && !state)
          ? PARAGRAPH
          : LINE_OUTSIDE_CODE;
      const cut = { end, openAtEnd: state };
      best[1]![kind] = cut;
      if (end >= preferredFrom) best[0]![kind] = cut;
    }
    lineStart = end;
  }
  for (const [pass, from] of [preferredFrom, position + 1].entries()) {
    for (const kind of LINE_KINDS) {
      const cut = best[pass]![kind];
      if (cut) return cut;
    }
    const word = lastWordBreak(text, position, from, maxEnd, lines, room);
    if (word) return word;
  }
  return hardCut(text, position, maxEnd, lines, room);
}

function stateAt(text: string, at: number, lines: LineStart[]): OpenFence | undefined {
  let line = lines[0]!;
  for (const candidate of lines) {
    if (candidate.at > at) break;
    line = candidate;
  }
  return fenceStateAt(text, at, line.at, line.open);
}

function cutCost(text: string, end: number, open: OpenFence | undefined): number {
  return open ? (text.charCodeAt(end - 1) === 10 ? 0 : 1) + closingFence(open).length : 0;
}

/** The last cut just after a space or tab in [from, maxEnd] whose piece fits. */
function lastWordBreak(text: string, position: number, from: number, maxEnd: number, lines: LineStart[], room: number): Cut | undefined {
  for (let end = maxEnd; end >= from && end > position; end -= 1) {
    const previous = text.charCodeAt(end - 1);
    if ((previous !== 32 && previous !== 9) || startsLikeFence(text, end)) continue;
    // A fence line cut in two may read differently ("```js x```" is inline code, "```js " opens a
    // block): fence lines are short, so they are only ever cut whole.
    if (startsLikeFence(text, text.lastIndexOf('\n', end - 1) + 1)) continue;
    const openAtEnd = stateAt(text, end, lines);
    if (end - position + cutCost(text, end, openAtEnd) <= room) return { end, openAtEnd };
  }
  return undefined;
}

/** A cut in the middle of a token too long for any message; never between a surrogate pair. */
function hardCut(text: string, position: number, maxEnd: number, lines: LineStart[], room: number): Cut {
  let end = maxEnd;
  for (;;) {
    if (end - 1 > position && (isHighSurrogate(text.charCodeAt(end - 1)) || startsLikeFence(text, end))) {
      end -= 1;
      continue;
    }
    const openAtEnd = stateAt(text, end, lines);
    const over = end - position + cutCost(text, end, openAtEnd) - room;
    if (over <= 0 || end <= position + 1) return { end, openAtEnd };
    end = Math.max(position + 1, end - over);
  }
}

const FENCE_START = /^ {0,3}(```|~~~)/;
// What a fence start looks like while the text is still too short to tell.
const FENCE_START_SO_FAR = /^ {0,3}(`{0,2}|~{0,2})$/;

/**
 * A piece starts at the top of a message, where "```" opens a code block even though it sat
 * mid-line in the source; so a cut never leaves the rest of a line starting like a fence. A
 * streaming snapshot may end before that can be told ("café `"): then it counts as a fence, so
 * a piece committed now stays right when the text grows.
 */
function startsLikeFence(text: string, at: number): boolean {
  const start = text.slice(at, at + 6);
  return FENCE_START.test(start) || (at + 6 > text.length && FENCE_START_SO_FAR.test(start));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
