import type { AnyChunk, ContextBlock } from '@slack/web-api';
import { escapeMrkdwn, neutralizeMentions } from './formatting.ts';

/**
 * The reasoning line (`MessageOptions.reasoning`) on Slack. A posted or updated message shows it
 * as a `context` block (Slack's small grey line) under the text, gone with the next update that
 * has none. A native stream cannot take back appended text, so there it is a task card
 * (`task_update` chunk) whose title follows the line; it is marked complete when the answer
 * starts, and the final `chat.update` rewrites the message without it.
 */

/** The task card's id in a stream, and the key its state is kept under with the tools'. */
export const REASONING_TASK_ID = 'ofox_reasoning';
const DONE = '\u0000done';
const DONE_TITLE = 'Reasoning';

export function reasoningBlocks(line: string | undefined): ContextBlock[] {
  if (!line) return [];
  return [{ type: 'context', block_id: REASONING_TASK_ID, elements: [{ type: 'mrkdwn', text: escapeMrkdwn(neutralizeMentions(line)), verbatim: true }] }];
}

/** The task chunk for a changed reasoning line since `seen` (the stream's recorded task states); updates `seen`. */
export function reasoningTaskChunks(line: string | undefined, seen: Record<string, string>): AnyChunk[] {
  const previous = seen[REASONING_TASK_ID];
  if (line) {
    if (previous === line) return [];
    seen[REASONING_TASK_ID] = line;
    return [{ type: 'task_update', id: REASONING_TASK_ID, title: clip(neutralizeMentions(line), 250), status: 'in_progress' }];
  }
  if (previous === undefined || previous === DONE) return [];
  seen[REASONING_TASK_ID] = DONE;
  return [{ type: 'task_update', id: REASONING_TASK_ID, title: DONE_TITLE, status: 'complete' }];
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
