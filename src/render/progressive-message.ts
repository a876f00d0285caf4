import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from './clock.ts';
import { sendWithGrant, type GrantedWrite } from './grant-scope.ts';
import { RenderWriteError } from './render-write-error.ts';
import { describeError, silentLog, type RenderLog } from './render-log.ts';
import { StableSplit } from './stable-split.ts';
import { footerLine, type FooterParts } from './status-text.ts';
import { answerTail, firstPendingWrite, layoutAnswer, NO_CONTROLS, type WantedMessage } from './answer-layout.ts';
import {
  isPermanentRefusal,
  SurfaceMessageGoneError,
  SurfaceRateLimitedError,
  type MessageControls,
  type MessageRef,
  type Surface,
  type ToolStatus,
  type PlannedWrite,
} from './surface.ts';
import { budgetsFromLimits, type WriteBudget, type WriteClass, type WritePacer } from './write-budget.ts';

export interface ProgressiveMessageOptions {
  surface: Surface;
  /** Hands out the platform's budgets (shared with every other answer, in every worker) by priority. */
  pacer: WritePacer;
  /**
   * The message ingress already posted ("thinking…"); the first write edits it, so a retried job
   * keeps editing the same message. @defaultValue none: the first write creates the message
   */
  placeholder?: MessageRef;
  /**
   * Continuation messages an earlier attempt of this job already posted, in order; they are edited
   * (or marked superseded), never posted again. @defaultValue none
   */
  continuations?: readonly MessageRef[];
  /**
   * Called (and awaited) after the answer posts a message, before anything else is written, so the
   * job can record it and a retry edits it rather than posting a second answer. `index` 0 is the
   * first message (a new placeholder when the old one was gone). A throw is logged, not fatal.
   * @defaultValue none
   */
  onMessageCreated?: (ref: MessageRef, index: number) => Promise<void> | void;
  /**
   * Called once when the surface refuses a write for good (an error with `permanent: true`); the
   * message stops writing and the caller should stop producing text. @defaultValue none
   */
  onRefused?: (error: RenderWriteError) => void;
  /** Buttons on the last message while the answer streams, e.g. `{ kind: 'stop', jobId }`. @defaultValue `{ kind: 'none' }` */
  controls?: MessageControls;
  /**
   * Smallest gap before an update of one message (its final write waits for the budgets only); the
   * surface's `limits.minEditIntervalMs` wins when larger. @defaultValue `surface.limits.minEditIntervalMs`
   */
  minEditIntervalMs?: number;
  /** Consecutive failed writes `finish` and `flush` tolerate before they reject; 429s are counted apart. @defaultValue 4 */
  finalAttempts?: number;
  /** 429 answers `finish` and `flush` tolerate before they reject. @defaultValue 20 */
  finalRateLimitRetries?: number;
  /** Wait after a failed write; doubles with each consecutive failure. @defaultValue 500 */
  retryBackoffMs?: number;
  /** Cap of that wait. @defaultValue 30_000 */
  maxRetryBackoffMs?: number;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue silent */
  log?: RenderLog;
}

export interface FinishOptions extends FooterParts {
  /** Buttons on the last message once the answer is done, e.g. `{ kind: 'feedback', jobId }`. @defaultValue `{ kind: 'none' }` */
  controls?: MessageControls;
}

// A 429 widens the gap between writes by half, up to this factor; successes narrow it again. The
// platform's retry-after is always honoured on top, so a steep penalty would only add silence.
const MAX_PACE_PENALTY = 4;
const PENALTY_GROWTH = 1.5;
const PENALTY_RECOVERY = 0.75;

interface Slot {
  ref: MessageRef | undefined;
  /** The last write the platform accepted; undefined before the first. */
  shown: WantedMessage | undefined;
  /** Start of the last write attempt: the per-message interval counts from here. */
  lastWriteAt: number | undefined;
  /** Start of the first write this renderer made that the platform accepted. */
  firstWriteAt?: number;
  /** When the renderer closes the message for its age (`limits.maxMessageAgeMs`); undefined: never. */
  closeAt?: number;
}

interface Finishing {
  footer: string;
  controls: MessageControls;
  resolve: (refs: MessageRef[]) => void;
  reject: (error: unknown) => void;
  promise: Promise<MessageRef[]>;
}

interface FlushWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * One answer on a chat platform, kept in step with the full snapshots the worker feeds it.
 *
 * Latest wins: one write at a time per answer (so never two in flight for one message), and text
 * that arrives meanwhile only replaces the pending snapshot. Each write waits for the message's
 * edit interval and a slot in the channel's shared budget, then sends the newest snapshot. The
 * first text goes out at once when the channel has budget. A 429 widens the pace and the pending
 * snapshot is sent again; no text is lost. Past `maxChars` the answer continues in new messages;
 * full ones are finalized (no buttons) and keep their text unless a retry replaces the body.
 *
 * A surface with `limits.maxMessageAgeMs` has a message this renderer streams into closed at that
 * age: it gets its final write with the text it holds (a stable cut: nothing shown moves), and the
 * text goes on in a new message, as past `maxChars`.
 *
 * Cheap when idle: no timer and no Redis round trip unless there is something to send, and at
 * most one pacing timer per answer (plus one for the age of the message being streamed into).
 */
export class ProgressiveMessage {
  private readonly surface: Surface;
  private readonly pacer: WritePacer;
  private readonly clock: Clock;
  private readonly log: RenderLog;
  private readonly streamingControls: MessageControls;
  private readonly baseIntervalMs: number;
  /** Keeps this answer's place in the pacer's line while it waits. */
  private readonly ticket = randomUUID();
  /** Settles once the pacer has the answer's place in line (`joinLine`). */
  private joined: Promise<void> = Promise.resolve();
  /** The budgets of the write waiting for a permit, to withdraw from when it stops waiting. */
  private waitingOn: WriteBudget[] | undefined;
  /** The pacer's grant for the write about to be made. */
  private grant: GrantedWrite | undefined;
  private readonly finalAttempts: number;
  private readonly finalRateLimitRetries: number;
  private readonly retryBackoffMs: number;
  private readonly maxRetryBackoffMs: number;
  private readonly split: StableSplit;
  private readonly slots: Slot[] = [];
  private readonly onMessageCreated: ProgressiveMessageOptions['onMessageCreated'];
  private flushWaiters: FlushWaiter[] = [];

  private body = '';
  private tools: ToolStatus[] = [];
  private notice: string | undefined;
  private reasoning: string | undefined;
  private finishing: Finishing | undefined;

  private version = 0;
  private layoutVersion = -1;
  private layout: WantedMessage[] = [];

  private penalty = 1;
  private backoffUntil = -Infinity;
  private consecutiveFailures = 0;
  /** 429s since `finish` or `flush` started waiting. */
  private boundedRateLimits = 0;

  private pumping = false;
  private refused: RenderWriteError | undefined;
  private readonly onRefused: ((error: RenderWriteError) => void) | undefined;
  /** Settles when the current pump (and the write it may have in flight) ends. */
  private pumped: Promise<void> = Promise.resolve();
  private closed = false;
  private timer: unknown;
  private wake: (() => void) | undefined;
  /** Wakes the answer when the message it streams into reaches its age limit. */
  private ageTimer: { handle: unknown; at: number } | undefined;

  constructor(options: ProgressiveMessageOptions) {
    this.surface = options.surface;
    this.pacer = options.pacer;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLog;
    this.streamingControls = options.controls ?? NO_CONTROLS;
    const limits = options.surface.limits;
    this.baseIntervalMs = Math.max(limits.minEditIntervalMs, options.minEditIntervalMs ?? 0);
    this.finalAttempts = Math.max(1, options.finalAttempts ?? 4);
    this.finalRateLimitRetries = Math.max(0, options.finalRateLimitRetries ?? 20);
    this.retryBackoffMs = options.retryBackoffMs ?? 500;
    this.maxRetryBackoffMs = options.maxRetryBackoffMs ?? 30_000;
    this.split = new StableSplit(limits.maxChars);
    this.onMessageCreated = options.onMessageCreated;
    this.onRefused = options.onRefused;
    for (const ref of [...(options.placeholder ? [options.placeholder] : []), ...(options.continuations ?? [])]) {
      this.slots.push({ ref, shown: undefined, lastWriteAt: undefined, closeAt: this.closeAt(this.surface.messageAgeMs?.(ref) ?? 0) });
    }
    this.joinLine();
  }

  /** Takes the answer's place in the pacer's line for its first text now, before the model's first token (see `WritePacer.join`). */
  private joinLine(): void {
    if (!this.pacer.join) return;
    const ref = this.slots[0]?.ref;
    const budgets = this.budgetsFor(ref ? { kind: 'edit', ref, final: false } : { kind: 'create', final: false });
    if (budgets.length === 0) return;
    this.waitingOn = budgets;
    this.joined = this.pacer.join({ budgets, ticket: this.ticket }).catch(() => {});
  }

  /** Every message of the answer that exists on the platform, in reading order. */
  get refs(): MessageRef[] {
    return this.slots.flatMap((slot) => (slot.ref ? [slot.ref] : []));
  }

  /** The full answer text so far; a retry passes the new attempt's text, which replaces the old. Ignored once finishing. */
  setBody(text: string): void {
    if (this.finishing || this.closed || text === this.body) return;
    this.body = text;
    this.changed();
  }

  /**
   * Current tool calls: status lines under the text, or `MessageOptions.tools` on surfaces with
   * `nativeToolStatus`. Ignored once finishing.
   */
  setTools(statuses: readonly ToolStatus[]): void {
    if (this.finishing || this.closed) return;
    this.tools = statuses.map((status) => ({ ...status }));
    this.changed();
  }

  /** A transient line under the text ("queued: waiting for the team's model budget…"); `undefined` clears it. Dropped at finish. */
  setNotice(text: string | undefined): void {
    if (this.finishing || this.closed || text === this.notice) return;
    this.notice = text;
    this.changed();
  }

  /**
   * The reasoning line (`MessageOptions.reasoning`), shown apart from the text so it never counts
   * toward splitting; `undefined` clears it. Dropped at finish.
   */
  setReasoning(line: string | undefined): void {
    const next = line || undefined;
    if (this.finishing || this.closed || next === this.reasoning) return;
    this.reasoning = next;
    this.changed();
  }

  /**
   * Writes the final text of every message (body, tool lines, footer; buttons swapped for
   * `options.controls`) and resolves with the refs of all of them. Waits for the pace like any
   * write. Rejects with {@link RenderWriteError} when a final write keeps failing. Calling it again
   * returns the same promise.
   */
  finish(options: FinishOptions): Promise<MessageRef[]> {
    if (this.finishing) return this.finishing.promise;
    let resolve: (refs: MessageRef[]) => void = () => {};
    let reject: (error: unknown) => void = () => {};
    const promise = new Promise<MessageRef[]>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    this.finishing = { footer: footerLine(options), controls: options.controls ?? NO_CONTROLS, resolve, reject, promise };
    if (this.refused) {
      reject(this.refused);
      return promise;
    }
    if (this.closed) {
      reject(new Error('ProgressiveMessage was abandoned before finish'));
      return promise;
    }
    this.startBoundedWait();
    // A pump asleep on an update's interval or permit wakes now: the final write waits for neither.
    this.stopSleeping();
    this.changed();
    return promise;
  }

  /**
   * Resolves once the platform shows the latest snapshot (say, a notice before the job is handed
   * back for a retry), without finishing. Rejects like `finish` when writes keep failing, or when
   * the message is abandoned first.
   */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.pumping && !this.nextWrite()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (this.flushWaiters.length === 0 && !this.finishing) this.startBoundedWait();
      this.flushWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  /**
   * Stops writing at once (the job lost its lock, the worker shuts down): no final write, no timer
   * left. Resolves once a write already in flight has landed, so whoever edits the message next
   * (another worker) cannot be overtaken by it.
   */
  abandon(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stopSleeping();
      this.stopWaiting();
      this.stopAgeWatch();
      const error = new Error('ProgressiveMessage was abandoned before its last write');
      this.finishing?.reject(error);
      this.rejectFlushes(error);
    }
    return this.pumped;
  }

  private startBoundedWait(): void {
    this.consecutiveFailures = 0;
    this.boundedRateLimits = 0;
  }

  private changed(): void {
    this.version += 1;
    this.kick();
  }

  private kick(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    // A microtask, so a burst of synchronous updates goes out as one write of the last of them.
    this.pumped = new Promise<void>((resolve) => queueMicrotask(() => void this.pump().finally(resolve)));
  }

  private async pump(): Promise<void> {
    try {
      while (!this.closed) {
        const next = this.nextWrite();
        if (!next) {
          this.stopWaiting();
          this.settle();
          return;
        }
        const untilReady = this.readyAt(next.index, next.wanted) - this.clock.now();
        if (untilReady > 0) {
          await this.sleep(untilReady);
          continue;
        }
        const finishingBefore = this.finishing !== undefined;
        const untilPermit = await this.askPermit(next.index, next.wanted);
        if (this.closed) return;
        // `finish` came while an update was asking: ask again at once as the final write.
        if (untilPermit > 0 && !finishingBefore && this.finishing) continue;
        if (untilPermit > 0) {
          await this.sleep(untilPermit);
          continue;
        }
        // Whatever arrived while waiting rides along: the write takes the newest snapshot.
        const write = this.nextWrite() ?? next;
        await this.write(write.index, write.wanted);
      }
    } catch (error) {
      // Only a bug gets here (surface and pacer errors are handled below); fail loudly, not silently.
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  /** The first message whose wanted state differs from what the platform shows. */
  private nextWrite(): { index: number; wanted: WantedMessage } | undefined {
    const layout = this.currentLayout();
    const index = firstPendingWrite(
      layout,
      this.slots.map((slot) => slot.shown),
    );
    const wanted = index === undefined ? undefined : layout[index];
    return index === undefined || !wanted ? undefined : { index, wanted };
  }

  private currentLayout(): WantedMessage[] {
    if (this.layoutVersion !== this.version) {
      this.layout = this.computeLayout();
      this.layoutVersion = this.version;
    }
    return this.layout;
  }

  private computeLayout(): WantedMessage[] {
    const finishing = this.finishing;
    const limits = this.surface.limits;
    const native = limits.nativeToolStatus === true;
    const tail = answerTail({ maxChars: limits.maxChars, nativeToolStatus: native, tools: this.tools, notice: this.notice, footer: finishing?.footer });
    const nothingShownYet = this.slots.every((slot) => slot.shown === undefined);
    // Until there is something to say, the placeholder ("thinking…") stays as ingress posted it.
    // Tools the platform shows natively count as something to say, though they add no text.
    if (!finishing && nothingShownYet && this.body.trim() === '' && tail === '' && !(native && this.tools.length > 0) && !this.reasoning) return [];
    // Trailing whitespace shows as nothing, and trimming it keeps a lone newline from ever being
    // all that a continuation message holds.
    const source = this.body.trimEnd();
    const reserve = tail ? tail.length + 2 : 0;
    let pieces = this.split.split(source, reserve);
    if (!finishing && this.tooOldToStream(pieces.length - 1) && this.split.seal()) pieces = this.split.split(source, reserve);
    const ended = pieces.length > 1 && pieces.at(-1) === '';
    // The body ends where a closed message ends: the footer and buttons go under it if they fit,
    // rather than alone in a new message.
    if (ended && finishing && (pieces.at(-2) ?? '').length + reserve <= limits.maxChars) pieces = pieces.slice(0, -1);
    const layout = layoutAnswer({
      pieces,
      tail,
      controls: finishing ? finishing.controls : this.streamingControls,
      final: finishing !== undefined,
      nativeTools: native ? this.tools : undefined,
      existingMessages: this.slots.length,
      reasoning: this.reasoning,
    });
    // Nothing to say in a new message yet: it is posted with its first text, not as "…" (a Slack
    // stream started with "…" could not be appended to).
    const emptyNext = ended && !finishing && tail === '' && !(native && this.tools.length > 0) && !this.slots[pieces.length - 1]?.ref;
    return emptyNext ? layout.filter((_, index) => index !== pieces.length - 1) : layout;
  }

  /**
   * When to close a message created `ageMs` ago; undefined without an age limit. Early enough for
   * the final write to land before the limit: it waits for the message's edit interval (which a
   * 429 may have widened) and then for the pacer, so it starts two intervals plus a tenth of the
   * age ahead; at most half the age ahead, so a short limit still leaves the message some life.
   */
  private closeAt(ageMs: number): number | undefined {
    const maxAge = this.surface.limits.maxMessageAgeMs;
    if (maxAge === undefined) return undefined;
    const lead = Math.min(2 * this.baseIntervalMs + maxAge / 10, maxAge / 2);
    return this.clock.now() + maxAge - Math.max(0, ageMs) - lead;
  }

  /**
   * Message `index` is one this renderer streamed into while it was young and is now past its
   * age: it is closed where its text ends. A message that was already too old when this renderer
   * first wrote it (handed over by a crashed attempt) is not cut into fragments: the surface
   * writes it its own way (Slack: chat.update) until it is full.
   */
  private tooOldToStream(index: number): boolean {
    const slot = this.slots[index];
    return slot?.closeAt !== undefined && slot.firstWriteAt !== undefined && slot.firstWriteAt < slot.closeAt && this.clock.now() >= slot.closeAt;
  }

  /** One timer, for the earliest age limit of a message still streamed into; none otherwise. */
  private watchAge(): void {
    let due: number | undefined;
    for (const slot of this.slots) {
      const live = slot.shown !== undefined && slot.shown.options.final !== true && slot.firstWriteAt !== undefined;
      if (live && slot.closeAt !== undefined && slot.firstWriteAt! < slot.closeAt) due = Math.min(due ?? Infinity, slot.closeAt);
    }
    if (due === this.ageTimer?.at) return;
    this.stopAgeWatch();
    if (due === undefined || this.closed) return;
    const at = due;
    const handle = this.clock.setTimeout(() => {
      if (this.ageTimer?.handle !== handle) return;
      this.ageTimer = undefined;
      // Time, not text, changed the layout: recompute it.
      this.changed();
    }, Math.max(0, Math.ceil(at - this.clock.now())));
    this.ageTimer = { handle, at };
  }

  private stopAgeWatch(): void {
    if (this.ageTimer) this.clock.clearTimeout(this.ageTimer.handle);
    this.ageTimer = undefined;
  }

  private readyAt(index: number, wanted: WantedMessage): number {
    const last = this.slots[index]?.lastWriteAt;
    // The interval only smooths a message's updates; a message's last write (its complete text)
    // goes as soon as the platform's budgets allow, which alone protect the platform.
    const intervalReady = last === undefined || wanted.options.final === true ? -Infinity : last + this.baseIntervalMs * this.penalty;
    return Math.max(intervalReady, this.backoffUntil);
  }

  /** What the write of message `index` would be, for the surface's budgets. */
  private planned(index: number, wanted: WantedMessage): PlannedWrite {
    const ref = this.slots[index]?.ref;
    return ref ? { kind: 'edit', ref, final: wanted.options.final === true } : { kind: 'create', final: wanted.options.final === true };
  }

  private budgetsFor(write: PlannedWrite): WriteBudget[] {
    return this.surface.budgetsFor ? this.surface.budgetsFor(write) : budgetsFromLimits(this.surface.channelKey, this.surface.limits);
  }

  /** First text before everything; a message's last write before intermediate ones (see `write-budget.ts`). */
  private writeClass(wanted: WantedMessage): WriteClass {
    if (this.slots.every((slot) => slot.shown === undefined)) return 'first-text';
    return wanted.options.final ? 'final' : 'update';
  }

  /** 0: granted, write now; else the ms to wait before asking again. */
  private async askPermit(index: number, wanted: WantedMessage): Promise<number> {
    const budgets = this.budgetsFor(this.planned(index, wanted));
    if (budgets.length === 0) return 0;
    this.waitingOn = budgets;
    try {
      // The join must reach the pacer first: arriving after the first grant, it would leave a
      // first text in line that never asks (holding a token from everyone for its lease).
      await this.joined;
      const request = { budgets, writeClass: this.writeClass(wanted), ticket: this.ticket };
      const wait = await this.pacer.acquire(request);
      if (wait <= 0) {
        this.waitingOn = undefined;
        this.grant = { pacer: this.pacer, request, grantedAt: this.clock.now(), clock: this.clock };
      }
      // Abandoned while asking: give the place in line back (the permit, if granted, goes unused).
      if (this.closed) this.stopWaiting();
      return wait;
    } catch (error) {
      // Pacers promise not to reject; if one does, pace by the message interval rather than stall.
      this.log.warn({ channelKey: this.surface.channelKey, error: describeError(error) }, 'write pacer failed');
      this.waitingOn = undefined;
      return this.baseIntervalMs;
    }
  }

  /** Leaves the pacer's line (nothing to send any more, or abandoned). */
  private stopWaiting(): void {
    const budgets = this.waitingOn;
    if (!budgets) return;
    this.waitingOn = undefined;
    // After the join, or the join would put the ticket back in line.
    void this.joined.then(() => this.pacer.withdraw(this.ticket, budgets)).catch(() => {});
  }

  private async write(index: number, wanted: WantedMessage): Promise<void> {
    let slot = this.slots[index];
    if (!slot) {
      slot = { ref: undefined, shown: undefined, lastWriteAt: undefined };
      this.slots[index] = slot;
    }
    const startedAt = this.clock.now();
    slot.lastWriteAt = startedAt;
    // The platform client tells the pacer when the request really leaves (`grant-scope.ts`).
    const grant = this.grant;
    this.grant = undefined;
    try {
      const ref = slot.ref;
      const created = !ref;
      if (ref) await sendWithGrant(grant, () => this.surface.edit(ref, wanted.text, wanted.options));
      else {
        slot.ref = await sendWithGrant(grant, () => this.surface.create(wanted.text, wanted.options));
        // Counted from the start of the call: the platform created it no earlier.
        slot.closeAt = this.closeAt(this.clock.now() - startedAt);
      }
      slot.shown = wanted;
      slot.firstWriteAt ??= startedAt;
      this.watchAge();
      this.consecutiveFailures = 0;
      this.penalty = Math.max(1, this.penalty * PENALTY_RECOVERY);
      if (created && slot.ref) await this.announce(slot.ref, index);
    } catch (error) {
      await this.writeFailed(error, slot, index, wanted);
    }
  }

  private async announce(ref: MessageRef, index: number): Promise<void> {
    if (!this.onMessageCreated) return;
    try {
      await this.onMessageCreated(ref, index);
    } catch (error) {
      this.log.warn({ channelKey: this.surface.channelKey, messageId: ref.id, part: index, error: describeError(error) }, 'could not record a posted message');
    }
  }

  private async writeFailed(error: unknown, slot: Slot, index: number, wanted: WantedMessage): Promise<void> {
    const details = { channelKey: this.surface.channelKey, messageId: slot.ref?.id, part: index, error: describeError(error) };
    if (error instanceof SurfaceRateLimitedError) {
      const retryAfterMs = Math.max(0, error.retryAfterMs);
      this.penalty = Math.min(MAX_PACE_PENALTY, this.penalty * PENALTY_GROWTH);
      this.backoffUntil = Math.max(this.backoffUntil, this.clock.now() + retryAfterMs);
      this.log.warn({ ...details, retryAfterMs }, 'rate limited; slowing this answer and its channel');
      await this.pacer.holdOff(error.refusedOf(this.budgetsFor(this.planned(index, wanted))), retryAfterMs).catch(() => {});
      if (this.isBounded() && ++this.boundedRateLimits > this.finalRateLimitRetries) {
        this.giveUp(new RenderWriteError(`still rate limited after ${this.finalRateLimitRetries} retries`, { cause: error, refs: this.refs }));
      }
      return;
    }
    if (isPermanentRefusal(error)) {
      // The platform will refuse every retry (no permission, invalid body): stop instead of
      // collecting invalid requests, which platforms count towards bans.
      const refused = new RenderWriteError(`the platform refused the message: ${describeError(error)}`, { cause: error, refs: this.refs });
      this.log.warn(details, 'the platform refused the message for good; no more writes');
      this.refused = refused;
      this.closed = true;
      this.stopSleeping();
      this.stopWaiting();
      this.stopAgeWatch();
      this.finishing?.reject(refused);
      this.rejectFlushes(refused);
      this.onRefused?.(refused);
      return;
    }
    this.consecutiveFailures += 1;
    if (error instanceof SurfaceMessageGoneError) {
      // Deleted, or its interaction token expired: the rest of the answer goes to a new message.
      this.log.warn(details, 'message is gone; posting this part anew');
      slot.ref = undefined;
      slot.shown = undefined;
      slot.firstWriteAt = undefined;
      slot.closeAt = undefined;
    } else {
      const backoffMs = Math.min(this.maxRetryBackoffMs, this.retryBackoffMs * 2 ** (this.consecutiveFailures - 1));
      this.backoffUntil = Math.max(this.backoffUntil, this.clock.now() + backoffMs);
      this.log.warn({ ...details, backoffMs }, 'write failed; retrying with the latest text');
    }
    if (this.isBounded() && this.consecutiveFailures >= this.finalAttempts) {
      this.giveUp(new RenderWriteError(`write failed ${this.consecutiveFailures} times in a row: ${describeError(error)}`, { cause: error, refs: this.refs }));
    }
  }

  /** Someone waits on the writes (`finish`, `flush`), so retries are bounded. */
  private isBounded(): boolean {
    return this.finishing !== undefined || this.flushWaiters.length > 0;
  }

  private giveUp(error: RenderWriteError): void {
    if (this.finishing) {
      this.fail(error);
      return;
    }
    // A failed flush does not end the answer: streaming goes on retrying unbounded.
    this.rejectFlushes(error);
  }

  /** Nothing is pending: wake whoever waits. */
  private settle(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    if (!this.finishing || this.closed) return;
    this.closed = true;
    this.stopAgeWatch();
    this.finishing.resolve(this.refs);
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.stopSleeping();
    this.stopWaiting();
    this.stopAgeWatch();
    this.rejectFlushes(error);
    if (this.finishing) this.finishing.reject(error);
    else this.log.warn({ channelKey: this.surface.channelKey, error: describeError(error) }, 'answer rendering stopped');
  }

  private rejectFlushes(error: unknown): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private sleep(ms: number): Promise<void> {
    // Whole milliseconds, at least one: a sub-millisecond float wait must still move time on.
    const delayMs = Math.max(1, Math.ceil(ms));
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, delayMs);
    });
  }

  private stopSleeping(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
