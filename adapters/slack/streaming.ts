import type { AnyChunk, WebClient } from '@slack/web-api';
import type { MessageControls, ToolStatus } from '../../src/render/surface.ts';
import { controlBlocks } from './blocks.ts';
import { neutralizeMentions } from './formatting.ts';

/**
 * Slack's native AI streaming (`chat.startStream` / `appendStream` / `stopStream`): the pieces
 * both the ingress (which starts the answer's stream as its placeholder) and the surface use.
 */

/** Slack's limit on `markdown_text` in one streaming call, and on the `markdown` blocks of one message. */
export const MARKDOWN_TEXT_LIMIT = 12_000;

/**
 * What a live stream is given of a message's markdown: all but a fence line at its very end. The
 * renderer closes a code block still being written, so every message renders on its own; in a
 * stream, the block's next line could not go before that closing line, and the message would have
 * to be rewritten with chat.update. The stream shows the block open until the final write closes it.
 */
export function streamableMarkdown(markdown: string): string {
  return markdown.replace(/\n {0,3}(`{3,}|~{3,})[ \t]*$/, '');
}

/** Errors meaning this stream takes no more appends: roll the message over to `chat.update`. */
export const STREAM_ENDED_ERRORS = new Set(['message_not_in_streaming_state', 'stopped_by_user', 'streaming_state_conflict', 'stream_expired']);

/** Errors meaning the workspace, channel or app cannot stream at all: fall back to post-and-update. */
export const STREAMING_UNAVAILABLE_ERRORS = new Set([
  'not_allowed',
  'feature_not_enabled',
  'not_supported',
  'channel_type_not_supported',
  'unknown_method',
  'method_deprecated',
  'missing_scope',
  'not_allowed_token_type',
  'invalid_chunks',
  'invalid_blocks',
  'missing_recipient_user_id',
  'missing_recipient_team_id',
]);

/** Process-wide: whether native streaming is on, whether Slack refused it, and whether streams take buttons. */
export class StreamingSwitch {
  readonly preferred: 'native' | 'update';
  /** False once Slack rejected a Stop button inside a stream: later streams start without one. */
  buttonsInStreams = true;
  private refusedUntil = 0;
  private readonly retryAfterMs: number;
  /** @param retryAfterMs after a refusal, how long to post-and-update before trying streams again. */
  constructor(preferred: 'native' | 'update', retryAfterMs = 10 * 60_000) {
    this.preferred = preferred;
    this.retryAfterMs = retryAfterMs;
  }
  get native(): boolean {
    return this.preferred === 'native' && Date.now() >= this.refusedUntil;
  }
  /** Slack said streaming is unavailable: fall back to updates for a while, then try again. */
  refuse(): void {
    this.refusedUntil = Date.now() + this.retryAfterMs;
  }
}

const REJECTED_CONTENT = new Set(['invalid_chunks', 'invalid_blocks']);

/** Marks a message ref as a native stream (`extra.stream`), so any worker knows how to edit it. */
export const STREAM_MARKER = '1';

const TASK_STATUS: Record<ToolStatus['state'], 'pending' | 'in_progress' | 'complete' | 'error'> = {
  running: 'in_progress',
  done: 'complete',
  failed: 'error',
  'awaiting-approval': 'pending',
};

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** One `task_update` chunk for a tool's current state (title and status replace; details append). */
export function taskChunk(tool: ToolStatus, firstTime: boolean): AnyChunk {
  const title = clip(neutralizeMentions(tool.state === 'awaiting-approval' ? `${tool.name} (waiting for approval)` : tool.name), 250);
  const chunk: AnyChunk = { type: 'task_update', id: clip(tool.id, 64), title, status: TASK_STATUS[tool.state] };
  if (firstTime && tool.summary) chunk.details = clip(neutralizeMentions(tool.summary), 500);
  if (tool.state === 'failed' && tool.error) chunk.output = clip(neutralizeMentions(tool.error), 500);
  else if (tool.state === 'done' && tool.durationMs !== undefined) chunk.output = `done in ${(tool.durationMs / 1000).toFixed(1)} s`;
  return chunk;
}

/** The task chunks for tools whose state changed since `seen`; updates `seen`. */
export function changedTaskChunks(tools: ToolStatus[] | undefined, seen: Record<string, string>): AnyChunk[] {
  const chunks: AnyChunk[] = [];
  for (const tool of tools ?? []) {
    const previous = seen[tool.id];
    if (previous === tool.state) continue;
    chunks.push(taskChunk(tool, previous === undefined));
    seen[tool.id] = tool.state;
  }
  return chunks;
}

export interface StartStreamInput {
  channel: string;
  threadTs: string;
  /** The asker and their team: Slack requires both when streaming outside a DM. */
  userId: string;
  teamId: string;
  /** Markdown already neutralized. */
  markdown?: string;
  controls?: MessageControls;
  extraChunks?: AnyChunk[];
}

/**
 * Starts a stream. A Stop button rides in a `blocks` chunk (the final `chat.update` replaces it).
 * If Slack rejects that chunk, the stream starts again without it and later streams skip it; with
 * nothing else to show, the error goes to the caller, which posts a plain message instead.
 */
export async function startStream(client: WebClient, input: StartStreamInput, streaming?: StreamingSwitch): Promise<string> {
  const content: AnyChunk[] = [];
  if (input.markdown) content.push({ type: 'markdown_text', text: input.markdown });
  content.push(...(input.extraChunks ?? []));
  const buttons = streaming?.buttonsInStreams === false ? [] : controlBlocks(input.controls);
  const start = async (chunks: AnyChunk[]): Promise<string> => {
    const response = await client.chat.startStream({
      channel: input.channel,
      thread_ts: input.threadTs,
      // Documented as needed outside DMs; sent always, since DMs have been seen to refuse streams without them.
      recipient_user_id: input.userId,
      recipient_team_id: input.teamId,
      chunks,
    });
    if (!response.ts) throw new Error('chat.startStream answered without a ts');
    return response.ts;
  };
  if (buttons.length === 0) return start(content.length > 0 ? content : [{ type: 'markdown_text', text: '…' }]);
  try {
    return await start([{ type: 'blocks', blocks: buttons }, ...content]);
  } catch (error) {
    const code = (error as { data?: { error?: unknown } }).data?.error;
    if (typeof code !== 'string' || !REJECTED_CONTENT.has(code) || !streaming) throw error;
    streaming.buttonsInStreams = false;
    if (content.length === 0) throw error;
    return start(content);
  }
}
