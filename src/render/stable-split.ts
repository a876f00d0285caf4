import type { OpenFence } from './code-fence.ts';
import { splitSegments, type SplitSegment } from './split-for-limit.ts';

/**
 * Splits a growing answer so that a message, once full, keeps its text: the pieces before the last
 * are committed and only the rest is split again on each snapshot. When the body stops extending
 * the committed text (a retry replaced it), everything is split afresh.
 */
export class StableSplit {
  private readonly maxChars: number;
  /** Texts of the committed (full, finalized) pieces, in order. */
  private committed: string[] = [];
  /** The source text the committed pieces cover, and the fence open where it ends. */
  private committedSource = '';
  private openAtCommitted: OpenFence | undefined;
  /** The last piece of the latest `split` and the body it came from, for `seal`. */
  private latest: { body: string; last: SplitSegment | undefined } = { body: '', last: undefined };

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  /** Pieces for `body`, the last one leaving `reserveLast` characters free. Always at least one piece. */
  split(body: string, reserveLast: number): string[] {
    if (!body.startsWith(this.committedSource)) {
      this.committed = [];
      this.committedSource = '';
      this.openAtCommitted = undefined;
    }
    const segments = splitSegments(body, this.maxChars, {
      start: this.committedSource.length,
      openAtStart: this.openAtCommitted,
      reserveLast,
    });
    const last = segments.pop();
    this.latest = { body, last };
    if (segments.length > 0) {
      const lastCommitted = segments.at(-1);
      this.committed.push(...segments.map((segment) => segment.text));
      this.committedSource = body.slice(0, lastCommitted?.end ?? 0);
      this.openAtCommitted = lastCommitted?.openAtEnd;
    }
    return [...this.committed, last?.text ?? ''];
  }

  /**
   * Commits the last piece of the latest `split` where it ends now, though it is not full: its
   * message was closed early (too old to keep streaming). Text that comes later starts a new piece.
   * False when that piece holds nothing to commit.
   */
  seal(): boolean {
    const { body, last } = this.latest;
    if (!last || !body.startsWith(this.committedSource)) return false;
    const start = this.committedSource.length;
    const end = sealPoint(body, start, last.end);
    if (end <= start) return false;
    // Cut short of the end: split the shorter text again (it fits, being shorter than the piece).
    const segments = end === last.end ? [last] : splitSegments(body.slice(0, end), this.maxChars, { start, openAtStart: this.openAtCommitted });
    if (segments.every((segment) => segment.text.trim() === '')) return false;
    this.committed.push(...segments.map((segment) => segment.text));
    this.committedSource = body.slice(0, end);
    this.openAtCommitted = segments.at(-1)?.openAtEnd;
    this.latest = { body, last: undefined };
    return true;
  }
}

const FENCE_LINE = /^ {0,3}(```|~~~)/;

/**
 * Where a piece closed early may end: at `end`, unless that splits a run of backticks or tildes
 * (an inline code delimiter cut in two changes meaning), a fence line (its info string would be
 * cut; fence lines move whole to the next piece, as in `splitSegments`) or a surrogate pair;
 * then just before it.
 */
function sealPoint(body: string, start: number, end: number): number {
  let cut = end;
  while (cut > start && (body[cut - 1] === '`' || body[cut - 1] === '~')) cut -= 1;
  const lineStart = body.lastIndexOf('\n', cut - 1) + 1;
  if (lineStart >= start && FENCE_LINE.test(body.slice(lineStart, end))) cut = lineStart;
  const code = body.charCodeAt(cut - 1);
  if (cut > start && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}
