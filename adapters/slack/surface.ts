import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/observability/logger.ts';
import type { ChatJob } from '../../src/queue/chat-job.ts';
import { WORKING_TEXT } from '../../src/render/answer-layout.ts';
import { SurfaceRateLimitedError, type MessageOptions, type MessageRef, type PlannedWrite, type Surface, type SurfaceLimits } from '../../src/render/surface.ts';
import { pacedWrite } from '../../src/render/paced-write.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import type { WriteBudget } from '../../src/render/write-budget.ts';
import { controlBlocks, markdownMessage, mrkdwnMessage } from './blocks.ts';
import { neutralizeMarkdown } from './formatting.ts';
import { reasoningTaskChunks } from './reasoning.ts';
import type { StreamState, StreamStateStore } from './stream-state.ts';
import { MARKDOWN_TEXT_LIMIT, STREAM_ENDED_ERRORS, STREAM_MARKER, STREAMING_UNAVAILABLE_ERRORS, changedTaskChunks, startStream, streamableMarkdown, type StreamingSwitch } from './streaming.ts';
import { rateLimitDelayMs, slackErrorCode, surfaceCall, toSurfaceError } from './web-client.ts';
import { slackAppendBudget, slackAssistantBudget, slackPostBudgets, slackStopBudgets, slackUpdateBudget } from './write-budgets.ts';
import { slackWriteIfRoom } from './paced-writes.ts';

/**
 * The answer's messages in the thread (`thread_ts = job.threadId ?? job.messageId`).
 *
 * Native mode (SLACK_STREAMING=native): a message is a Slack stream. The renderer hands over full
 * snapshots; when a snapshot extends what was sent, only the difference is appended. When it does
 * not (a retried round replaced the text), or Slack ends / refuses the stream, the message ROLLS
 * OVER: the stream is stopped and the message is rewritten whole with `chat.update`; from then on
 * it is edited like any message. The final write of a stream that holds the final text so far (the
 * usual case) is ONE `chat.stopStream` carrying the last delta and the buttons as its `blocks`
 * (Slack renders them at the bottom of the finished message, and they replace the streamed Stop
 * button): one post-class call instead of a stop plus a Tier 3 update. Where the text was replaced,
 * there are no buttons to end with, tools ran (their task cards give way to tool lines), or the
 * stream was already stopped (a retried job finding phase 'updated'), the message is still
 * rewritten whole with `chat.update`, so nothing is ever lost or repeated, even if a worker crashed
 * mid-stream and another one picked the job up.
 *
 * Long and slow answers: a message holds at most `streamMaxChars` (under Slack's 12,000 per
 * `markdown_text` and per `markdown` block), and the renderer is told `maxMessageAgeMs`, so a
 * stream is stopped before Slack ends it (about five minutes) and the answer goes on in a new one.
 * A stream that is older anyway (handed over by a crashed worker) is rolled over, never appended to.
 *
 * Update mode (SLACK_STREAMING=update, or when Slack says streaming is unavailable): post once,
 * then `chat.update` with mrkdwn sections, paced by the renderer.
 */

export interface SlackSurfaceLimits {
  /** Update mode (mrkdwn sections). @defaultValue 3_500 */
  maxChars: number;
  /** Native mode (SLACK_STREAM_MAX_CHARS): one message's text, at most Slack's 12,000. @defaultValue 11_000 */
  streamMaxChars: number;
  /** Native mode (SLACK_STREAM_MAX_AGE_MS): a stream is stopped at this age. @defaultValue 240_000 */
  streamMaxAgeMs: number;
  /** Native streams: appendStream is Tier 4 (its budget paces the workspace; this, one answer). @defaultValue 500 */
  streamEditIntervalMs: number;
  /** chat.update is Tier 3 (~50 per minute per workspace). @defaultValue 1_200 */
  updateEditIntervalMs: number;
}

export const DEFAULT_SLACK_LIMITS: SlackSurfaceLimits = {
  maxChars: 3_500,
  streamMaxChars: 11_000,
  streamMaxAgeMs: 240_000,
  streamEditIntervalMs: 500,
  updateEditIntervalMs: 1_200,
};

export interface SlackSurfaceDeps {
  client: WebClient;
  log: Logger;
  streaming: StreamingSwitch;
  /** What each stream holds, keyed `channel:ts`; shared by every surface (and, in Redis, every worker). */
  streams: StreamStateStore;
  limits: SlackSurfaceLimits;
}

export class SlackSurface implements Surface {
  readonly channelKey: string;
  private readonly job: ChatJob;
  private readonly deps: SlackSurfaceDeps;
  private readonly threadTs: string | undefined;
  /** Streams of this answer known to be stopped (finished or rolled over): edited with chat.update. */
  private readonly stopped = new Set<string>();

  constructor(job: ChatJob, deps: SlackSurfaceDeps) {
    this.job = job;
    this.deps = deps;
    this.channelKey = `slack:${job.workspaceId}:${job.channelId}`;
    this.threadTs = job.threadId ?? job.messageId;
  }

  get limits(): SurfaceLimits {
    const { limits, streaming } = this.deps;
    return {
      // Keyed on the preference, not on `native`: messages are then markdown blocks (12,000 a
      // message) even while Slack refuses streams, and an answer's split does not change midway.
      maxChars: streaming.preferred === 'native' ? limits.streamMaxChars : limits.maxChars,
      minEditIntervalMs: streaming.native ? limits.streamEditIntervalMs : limits.updateEditIntervalMs,
      nativeToolStatus: streaming.native,
      ...(streaming.native ? { maxMessageAgeMs: limits.streamMaxAgeMs } : {}),
    };
  }

  /** From `extra.startedAt`, stamped when this surface or the ingress created the message. */
  messageAgeMs(ref: MessageRef): number | undefined {
    const startedAt = Number(ref.extra?.startedAt);
    return Number.isFinite(startedAt) && startedAt > 0 ? Math.max(0, Date.now() - startedAt) : undefined;
  }

  /**
   * Slack limits each method per app per workspace: a post or stream start draws from the
   * channel's and the workspace's post budgets; an append from the workspace's appendStream budget;
   * an update from its chat.update budget; a stream's final write stops the stream (a post-like
   * call); any write to a stream too old to append to also rewrites the message (an update); a
   * stream this surface stopped is edited with updates only. Whether a final write must rewrite
   * the message too (its text was replaced) shows only when it is made, with the text: the rare
   * write that does draws the update's token then (`updateCovered`).
   */
  budgetsFor(write: PlannedWrite): WriteBudget[] {
    const workspace = this.job.workspaceId;
    if (write.kind === 'create') return slackPostBudgets(workspace, this.job.channelId);
    const ref = write.ref;
    if (ref?.extra?.stream !== STREAM_MARKER || this.stopped.has(ref.id)) return [slackUpdateBudget(workspace)];
    const stops = slackStopBudgets(workspace, this.job.channelId);
    if (this.tooOldToAppend(ref)) return [...stops, slackUpdateBudget(workspace)];
    return write.final ? stops : [slackAppendBudget(workspace)];
  }

  /**
   * Rewrites a stream's message with chat.update. `covered`: the write's budgets (see `budgetsFor`)
   * included the update; when they did not (a final write whose text turned out replaced, or a live
   * write that rolled over), the update first waits for its own token from the process's shared
   * pacer, so a rollover never spends Slack's Tier 3 budget behind the pacer's back.
   */
  private async rewriteStream(ref: MessageRef, text: string, options: MessageOptions, covered: boolean): Promise<void> {
    if (covered) return this.update(ref, text, options);
    // The raw call inside: a 429 leaves pacedWrite at once and reaches the renderer as for any
    // write (which holds the update budget off and retries), rather than being retried here.
    const update = () => this.deps.client.chat.update({ channel: ref.channelId, ts: ref.id, ...this.render(text, options) });
    await surfaceCall(
      () => pacedWrite({ pacer: transportPacer(), budgets: [slackUpdateBudget(this.job.workspaceId)], writeClass: options.final ? 'final' : 'update', what: 'the answer' }, update),
      this.budgetKeysOf('update'),
    );
  }

  private tooOldToAppend(ref: MessageRef): boolean {
    return (this.messageAgeMs(ref) ?? 0) >= this.deps.limits.streamMaxAgeMs;
  }

  /**
   * Which budget a refused method drew from, so a 429 holds off (and shrinks) only that one. Slack
   * does not say which of a post's limits refused it; the channel's (3 at once, then 1 a second)
   * is by far the tighter, so it is blamed, and the workspace's pool keeps flowing.
   */
  private budgetKeysOf(method: 'post' | 'stop' | 'append' | 'update'): string[] {
    const workspace = this.job.workspaceId;
    if (method === 'append') return [slackAppendBudget(workspace).key];
    if (method === 'update') return [slackUpdateBudget(workspace).key];
    if (method === 'stop') return [slackStopBudgets(workspace, this.job.channelId)[0]!.key];
    return [slackPostBudgets(workspace, this.job.channelId)[0]!.key];
  }

  async create(text: string, options: MessageOptions = {}): Promise<MessageRef> {
    const channel = this.job.channelId;
    const startedAt = Date.now();
    const seen: Record<string, string> = {};
    const tasks = [...changedTaskChunks(options.tools, seen), ...reasoningTaskChunks(options.reasoning, seen)];
    // A new message with only tool calls or the reasoning card to show (say, the answer went on in a
    // new stream while a tool ran): the stream starts with its task cards and no "…", so the first
    // text can be appended.
    const markdown = text === WORKING_TEXT && tasks.length > 0 ? '' : streamableMarkdown(neutralizeMarkdown(text));
    // Too long for one markdown_text (neutralizing mentions lengthens the text): posted whole.
    if (this.deps.streaming.native && this.threadTs && !options.final && markdown.length <= MARKDOWN_TEXT_LIMIT) {
      let ts: string | undefined;
      try {
        ts = await startStream(this.deps.client, {
          channel,
          threadTs: this.threadTs,
          userId: this.job.userId,
          teamId: this.job.workspaceId,
          markdown,
          controls: options.controls,
          extraChunks: tasks,
        }, this.deps.streaming);
      } catch (error) {
        if (!this.refusedStreaming(error)) throw toSurfaceError(error, this.budgetKeysOf('post'));
      }
      // The stream exists from here on: a failure below must not count as a failed create, or
      // the renderer's retry would start a second stream.
      if (ts) return this.recordStream(ts, { phase: 'streaming', sent: markdown, tools: seen }, startedAt);
    }
    const response = await surfaceCall(
      () =>
      this.deps.client.chat.postMessage({
        channel,
        ...(this.threadTs ? { thread_ts: this.threadTs } : {}),
        ...this.render(text, options),
        unfurl_links: false,
        unfurl_media: false,
      }),
      this.budgetKeysOf('post'),
    );
    if (!response.ts) throw new Error('chat.postMessage answered without a ts');
    return { id: response.ts, channelId: channel, extra: this.extra(false, startedAt) };
  }

  async edit(ref: MessageRef, text: string, options: MessageOptions = {}): Promise<void> {
    if (ref.extra?.stream === STREAM_MARKER) return this.editStream(ref, text, options);
    await this.update(ref, text, options);
  }

  /** In an assistant (DM) thread, "is thinking…" under the composer until the first text. */
  async typing(): Promise<void> {
    if (!this.job.channelId.startsWith('D') || !this.job.threadId) return;
    try {
      // An acknowledgment: only while the workspace's setStatus budget has room, as Discord's typing.
      const { channelId, threadId } = this.job;
      await slackWriteIfRoom([slackAssistantBudget(this.job.workspaceId, 'setStatus')], () =>
        this.deps.client.assistant.threads.setStatus({ channel_id: channelId, thread_ts: threadId, status: 'is thinking…' }),
      );
    } catch (error) {
      this.deps.log.debug({ err: error, channel: this.job.channelId }, 'slack: setStatus failed');
    }
  }

  /**
   * Records what a new stream holds. If that fails, the stream is stopped and handed back as a
   * plain message: edits would otherwise find no record and append the whole text a second time.
   */
  private async recordStream(ts: string, state: StreamState, startedAt: number): Promise<MessageRef> {
    const channel = this.job.channelId;
    try {
      await this.deps.streams.set(`${channel}:${ts}`, state);
      return { id: ts, channelId: channel, extra: this.extra(true, startedAt) };
    } catch (error) {
      this.deps.log.warn({ err: error, channel, ts, jobEventId: this.job.eventId }, 'slack: could not record a new stream, continuing it with chat.update');
      await this.deps.client.chat.stopStream({ channel, ts }).catch((stopError: unknown) => {
        this.deps.log.warn({ err: stopError, channel, ts }, 'slack: stopStream failed');
      });
      return { id: ts, channelId: channel, extra: this.extra(false, startedAt) };
    }
  }

  /** `startedAt` (epoch ms, taken before the call) travels in the job, so any worker knows a stream's age. */
  private extra(stream: boolean, startedAt: number): Record<string, string> {
    const extra: Record<string, string> = {};
    if (this.threadTs) extra.threadTs = this.threadTs;
    if (stream) extra.stream = STREAM_MARKER;
    extra.startedAt = String(startedAt);
    return extra;
  }

  /**
   * Markdown blocks where Slack renders markdown (native mode), mrkdwn sections otherwise. Every
   * message written here is not a live stream, so tools the renderer handed over as
   * `options.tools` (left out of the text under `nativeToolStatus`) are listed in the message.
   */
  private render(text: string, options: MessageOptions): { text: string; blocks: ReturnType<typeof mrkdwnMessage>['blocks'] } {
    // A markdown block holds 12,000 characters; text that neutralizing made longer goes as sections.
    const { controls, tools, reasoning } = options;
    const markdown = this.deps.streaming.preferred === 'native' && neutralizeMarkdown(text).length <= MARKDOWN_TEXT_LIMIT;
    return markdown ? markdownMessage(text, controls, tools, reasoning) : mrkdwnMessage(text, controls, tools, reasoning);
  }

  private async update(ref: MessageRef, text: string, options: MessageOptions): Promise<void> {
    await surfaceCall(() => this.deps.client.chat.update({ channel: ref.channelId, ts: ref.id, ...this.render(text, options) }), this.budgetKeysOf('update'));
  }

  private async editStream(ref: MessageRef, text: string, options: MessageOptions): Promise<void> {
    const key = `${ref.channelId}:${ref.id}`;
    // No state: the ingress started this stream and it holds only the Stop button so far.
    const state: StreamState = (await this.deps.streams.get(key)) ?? { phase: 'streaming', sent: '', tools: {} };
    if (state.phase === 'updated') {
      this.stopped.add(ref.id);
      return this.update(ref, text, options);
    }
    // The renderer's "…" stand-in (only tool or reasoning cards to show) is not appended to a stream
    // that has no text yet, so the first words can follow. The last write holds the whole text; live
    // ones leave a closing fence at the end for it.
    const neutral = text === WORKING_TEXT && state.sent === '' ? '' : neutralizeMarkdown(text);
    const markdown = options.final ? neutral : streamableMarkdown(neutral);
    if (!markdown.startsWith(state.sent)) return this.rollOver(ref, key, state, text, options, 'text replaced');
    const delta = markdown.slice(state.sent.length);
    // Slack would refuse these (or has ended the stream, or is about to, losing what it buffered):
    // the stream is stopped and the message rewritten whole with chat.update.
    if (!options.final && delta.length > MARKDOWN_TEXT_LIMIT) return this.rollOver(ref, key, state, text, options, 'too long for one append');
    if (this.tooOldToAppend(ref)) return this.rollOver(ref, key, state, text, options, 'stream too old');
    const seen = { ...state.tools };
    const tasks = [...changedTaskChunks(options.tools, seen), ...reasoningTaskChunks(options.reasoning, seen)];
    // The final write rewrites the message whole, so a delta too long for one call can stay out.
    const chunks = [...(delta && delta.length <= MARKDOWN_TEXT_LIMIT ? [{ type: 'markdown_text' as const, text: delta }] : []), ...tasks];
    const method = options.final ? 'stop' : 'append';
    try {
      if (options.final) {
        // The stream then shows the exact final text: its buttons end it, and no update is needed.
        // Without buttons to end with, the update still goes, as it is what removes a streamed Stop button;
        // and after tool calls, as it swaps the live task cards for the finished message's tool lines.
        const buttons = controlBlocks(options.controls);
        const whole = markdown !== '' && delta.length <= MARKDOWN_TEXT_LIMIT && buttons.length > 0 && (options.tools ?? []).length === 0;
        await this.deps.client.chat.stopStream({ channel: ref.channelId, ts: ref.id, ...(chunks.length > 0 ? { chunks } : {}), ...(whole ? { blocks: buttons } : {}) });
        // Kept (as 'updated'): a retry that replaces the body, or finds the stream already stopped,
        // rewrites the finished message with chat.update.
        await this.deps.streams.set(key, { phase: 'updated', sent: markdown, tools: seen });
        this.stopped.add(ref.id);
        if (!whole) await this.rewriteStream(ref, text, options, false);
        return;
      }
      if (chunks.length === 0) return;
      await this.deps.client.chat.appendStream({ channel: ref.channelId, ts: ref.id, chunks });
      await this.deps.streams.set(key, { phase: 'streaming', sent: markdown, tools: seen });
    } catch (error) {
      if (error instanceof SurfaceRateLimitedError) throw error;
      const code = slackErrorCode(error);
      if (rateLimitDelayMs(error) === undefined && code && (STREAM_ENDED_ERRORS.has(code) || this.refusedStreaming(error))) {
        return this.rollOver(ref, key, state, text, options, code);
      }
      throw toSurfaceError(error, this.budgetKeysOf(method));
    }
  }

  /** Stops the stream (if it still runs) and rewrites the whole message; later edits use chat.update. */
  private async rollOver(ref: MessageRef, key: string, state: StreamState, text: string, options: MessageOptions, reason: string): Promise<void> {
    this.deps.log.info({ channel: ref.channelId, ts: ref.id, reason, jobEventId: this.job.eventId }, 'slack: stream rolled over to chat.update');
    if (state.phase === 'streaming') {
      try {
        await this.deps.client.chat.stopStream({ channel: ref.channelId, ts: ref.id });
      } catch (error) {
        const delay = rateLimitDelayMs(error);
        if (delay !== undefined) throw new SurfaceRateLimitedError(delay, undefined, this.budgetKeysOf('stop'));
        const code = slackErrorCode(error);
        if (!code || !(STREAM_ENDED_ERRORS.has(code) || STREAMING_UNAVAILABLE_ERRORS.has(code))) throw toSurfaceError(error);
      }
      await this.deps.streams.set(key, { ...state, phase: 'updated' });
    }
    this.stopped.add(ref.id);
    // Only a write to a stream too old to append to planned the update (see `budgetsFor`).
    await this.rewriteStream(ref, text, options, this.tooOldToAppend(ref));
  }

  /** True (and streaming switched off for a while) when Slack says this app cannot stream. */
  private refusedStreaming(error: unknown): boolean {
    const code = slackErrorCode(error);
    if (!code || !STREAMING_UNAVAILABLE_ERRORS.has(code)) return false;
    this.deps.log.warn({ code, channel: this.job.channelId }, 'slack: native streaming unavailable, falling back to chat.update');
    this.deps.streaming.refuse();
    return true;
  }
}

