import { App, type AppOptions, type ReceiverEvent } from '@slack/bolt';
import { ANSWERABLE_SUBTYPES } from './message-events.ts';

/**
 * A Bolt app that refuses, while Redis is unreachable, the Events API callbacks that would become
 * requests, before Bolt acknowledges them: the HTTP receiver answers 500 and Socket Mode sends no
 * ack, so Slack redelivers the event (at once, after a minute, after five) and the claim makes the
 * redelivery answer once. Slack retries where Discord does not, so for Slack a refusal is better
 * than holding the event in the gateway's memory. Events are otherwise acknowledged before any
 * handler runs, as before, so a healthy request answers Slack well within its 3 s. Slash commands
 * and buttons are not refused: Slack does not redeliver them (an `/ofox ask` waits in the outbox).
 */

export class SlackEventRefused extends Error {
  override name = 'SlackEventRefused';
}

export interface RefusingAppOptions {
  /** May an event that becomes a request be taken now? (false while Redis is unreachable) */
  mayAccept(): boolean;
  /** Called once per refused event, for its one log line. */
  onRefused(event: { eventId: string | undefined; type: string | undefined; retryNum: number | undefined }): void;
}

export class RefusingApp extends App {
  private readonly refusal: RefusingAppOptions;

  constructor(options: AppOptions, refusal: RefusingAppOptions) {
    super(options);
    this.refusal = refusal;
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    const body = event.body as { type?: unknown; event_id?: unknown; event?: { type?: unknown; subtype?: unknown; bot_id?: unknown } };
    if (body.type === 'event_callback' && becomesRequest(body.event) && !this.refusal.mayAccept()) {
      this.refusal.onRefused({
        eventId: typeof body.event_id === 'string' ? body.event_id : undefined,
        type: typeof body.event?.type === 'string' ? body.event.type : undefined,
        retryNum: event.retryNum,
      });
      throw new SlackEventRefused('Redis is unreachable: refused so that Slack redelivers the event');
    }
    return super.processEvent(event);
  }
}

/** Mentions and people's messages; everything else (bots, edits, assistant_thread_started) goes through. */
function becomesRequest(event: { type?: unknown; subtype?: unknown; bot_id?: unknown } | undefined): boolean {
  if (!event) return false;
  if (event.type === 'app_mention') return true;
  return event.type === 'message' && ANSWERABLE_SUBTYPES.has(typeof event.subtype === 'string' ? event.subtype : undefined) && !event.bot_id;
}
