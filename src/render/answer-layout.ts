import { noticeLine, toolStatusBlock, truncate } from './status-text.ts';
import type { MessageControls, MessageOptions, ToolStatus } from './surface.ts';

/**
 * What each platform message of an answer should show, as pure functions of the answer's state:
 * no clock, no I/O. `ProgressiveMessage` keeps the state and schedules the writes; this decides
 * their content and which message needs one.
 */

/** Shown while nothing but whitespace is there to show (platforms reject empty messages). */
export const WORKING_TEXT = '…';
/** The final text of an answer that ended without any text, footer or tool line. */
export const NO_ANSWER_TEXT = '_(no answer)_';
/**
 * The text of a continuation message the answer no longer needs because a retry replaced the body
 * with a shorter one. It is edited, not deleted: surfaces have no delete, and a later, longer
 * snapshot reuses the message.
 */
export const SUPERSEDED_TEXT = '_(answer regenerated, see above)_';

export const NO_CONTROLS: MessageControls = { kind: 'none' };

/** What one platform message should show. */
export interface WantedMessage {
  text: string;
  options: MessageOptions;
  /** Comparable forms of options.controls / options.tools. */
  controlsKey: string;
  toolsKey: string;
}

export interface TailInput {
  maxChars: number;
  /** The platform shows tool progress itself, so no tool lines in the text. */
  nativeToolStatus: boolean;
  tools: readonly ToolStatus[];
  /** A transient line; left out once finishing. */
  notice: string | undefined;
  /** The footer line once finishing; undefined while streaming. */
  footer: string | undefined;
}

/** Tool lines, notice and footer: with the blank line before them, at most half a message, so the text always has room. */
export function answerTail(input: TailInput): string {
  const room = Math.floor(input.maxChars / 2) - 2;
  const fixed = [input.footer === undefined ? noticeLine(input.notice) : '', input.footer ?? ''].filter(Boolean).join('\n');
  const toolRoom = room - fixed.length - (fixed ? 1 : 0);
  const tools = input.nativeToolStatus || toolRoom <= 0 ? '' : toolStatusBlock(input.tools, toolRoom);
  const tail = [tools, fixed].filter(Boolean).join('\n');
  return truncate(tail, room);
}

export interface LayoutInput {
  /** The body split into messages (at least one piece, possibly empty); see `StableSplit`. */
  pieces: readonly string[];
  /** From {@link answerTail}; goes under the last piece. */
  tail: string;
  /** Buttons on the last message: the streaming ones, or the finishing ones once `final`. */
  controls: MessageControls;
  /** The answer is finishing: the last message is written as final. */
  final: boolean;
  /** Set on surfaces with native tool status: handed over as `options.tools` of the last message. */
  nativeTools: readonly ToolStatus[] | undefined;
  /** Messages the answer holds on the platform; those past the pieces are marked superseded. */
  existingMessages: number;
  /** The reasoning line, handed over as `options.reasoning` of the last message while streaming. */
  reasoning?: string | undefined;
}

/**
 * The wanted state of every message. Full pieces before the last are final (no buttons); the last
 * carries the tail and the controls; messages a shorter retry no longer needs say so.
 */
export function layoutAnswer(input: LayoutInput): WantedMessage[] {
  const lastIndex = input.pieces.length - 1;
  const wanted = input.pieces.map((piece, index): WantedMessage => {
    if (index < lastIndex) return finalMessage(piece);
    const text = piece.trim() && input.tail ? `${piece}\n\n${input.tail}` : piece.trim() ? piece : input.tail;
    const options: MessageOptions = { controls: input.controls, final: input.final };
    if (input.nativeTools) options.tools = input.nativeTools.map((status) => ({ ...status }));
    if (input.reasoning && !input.final) options.reasoning = input.reasoning;
    return {
      text: text.trim() ? text : input.final ? NO_ANSWER_TEXT : WORKING_TEXT,
      options,
      controlsKey: JSON.stringify(input.controls),
      toolsKey: input.nativeTools ? JSON.stringify(input.nativeTools) : '',
    };
  });
  for (let index = input.pieces.length; index < input.existingMessages; index += 1) wanted.push(finalMessage(SUPERSEDED_TEXT));
  return wanted;
}

/** A complete message with no buttons. */
export function finalMessage(text: string): WantedMessage {
  return { text, options: { controls: NO_CONTROLS, final: true }, controlsKey: JSON.stringify(NO_CONTROLS), toolsKey: '' };
}

/** True when the platform already shows what is wanted (text, buttons, tools, finality). */
export function showsWanted(shown: WantedMessage | undefined, wanted: WantedMessage): boolean {
  return (
    shown !== undefined &&
    shown.text === wanted.text &&
    shown.controlsKey === wanted.controlsKey &&
    shown.toolsKey === wanted.toolsKey &&
    shown.options.reasoning === wanted.options.reasoning &&
    shown.options.final === wanted.options.final
  );
}

/**
 * The message to write next: the first whose wanted state differs from what it shows. Earlier
 * messages go first so the reading order fills in from the top; a message already showing its
 * wanted text is never rewritten (at the end of a long answer only the last one changes).
 */
export function firstPendingWrite(layout: readonly WantedMessage[], shown: readonly (WantedMessage | undefined)[]): number | undefined {
  for (const [index, wanted] of layout.entries()) {
    if (!showsWanted(shown[index], wanted)) return index;
  }
  return undefined;
}
