import { Assistant } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { guarded, promptOf, type Answer, type IngressContext } from './answer.ts';
import { fromBot, type MessageEventShape, ANSWERABLE_SUBTYPES, teamOf } from './message-events.ts';
import { slackWriteIfRoom } from './paced-writes.ts';
import { slackAssistantBudget } from './write-budgets.ts';

/**
 * Slack's AI app experiences. Both show a title (from the first message) and "is thinking…" as
 * the status while the answer is queued; the status is the acknowledgment (no placeholder).
 * - The assistant container (`assistant_view`, kept for apps that have not migrated): Bolt's
 *   `Assistant` sees `assistant_thread_started` (suggested prompts) and the thread's messages.
 * - The Agent messaging experience (`agent_view`): see `agent-view.ts`; its DM threads' replies
 *   also arrive here, since Bolt's `Assistant` takes every threaded DM message.
 */

export const SUGGESTED_PROMPTS = {
  title: 'Try asking',
  prompts: [
    { title: 'Summarize a discussion', message: 'Summarize this discussion in five bullet points:' },
    { title: 'Explain some code', message: 'Explain what this code does and point out bugs:\n```\n\n```' },
    { title: 'Draft a reply', message: 'Help me write a friendly, concise reply to:' },
  ],
};

export const THINKING_STATUS = 'is thinking…';

/** Titles longer than this are cut with an ellipsis. @defaultValue 60 */
const TITLE_MAX = 60;

/**
 * The acknowledgment of an assistant-style message, run once the event is claimed (a redelivery
 * must not say "is thinking…" after the answer): a title for a new thread, then the status.
 * Failures are logged, never thrown: the answer still comes. Both are acknowledgments: written
 * only while their workspace budgets have room (`slackWriteIfRoom`), never waited for, since they
 * run before the job is queued.
 */
export function statusAcknowledgment(context: IngressContext, client: WebClient, teamId: string, channel: string, threadTs: string, prompt: string): () => Promise<void> {
  return async () => {
    if (!(await context.answered.has(channel, threadTs))) {
      const title = prompt.length > TITLE_MAX ? `${prompt.slice(0, TITLE_MAX - 1)}…` : prompt || 'New chat';
      const titled = await slackWriteIfRoom([slackAssistantBudget(teamId, 'setTitle')], () => client.assistant.threads.setTitle({ channel_id: channel, thread_ts: threadTs, title })).catch(
        (error: unknown) => void context.log.debug({ err: error }, 'slack: setTitle failed'),
      );
      if (titled === false) context.log.debug({ channel }, 'slack: no room for the thread title; left out');
    }
    const shown = await slackWriteIfRoom([slackAssistantBudget(teamId, 'setStatus')], () =>
      client.assistant.threads.setStatus({ channel_id: channel, thread_ts: threadTs, status: THINKING_STATUS }),
    ).catch((error: unknown) => void context.log.debug({ err: error }, 'slack: setStatus failed'));
    if (shown === false) context.log.debug({ channel }, 'slack: no room for the thinking status; left out');
  };
}

export function createAssistant(context: IngressContext, answer: Answer): Assistant {
  return new Assistant({
    threadStarted: async ({ setSuggestedPrompts, body, context: bolt }) =>
      guarded(context, 'assistant_thread_started', async () => {
        // A courtesy: offered while the workspace's setSuggestedPrompts budget has room, never waited for.
        await slackWriteIfRoom([slackAssistantBudget(teamOf(body, bolt), 'setSuggestedPrompts')], () => setSuggestedPrompts(SUGGESTED_PROMPTS));
      }),
    userMessage: async ({ message, body, context: bolt, client }) =>
      guarded(context, 'assistant_message', async () => {
        const event = message as MessageEventShape;
        if (!ANSWERABLE_SUBTYPES.has(event.subtype) || fromBot(context, event, bolt)) return;
        if (!event.channel || !event.user || !event.ts) return void context.log.warn({ event: event.type }, 'slack: malformed assistant message');
        const threadTs = event.thread_ts ?? event.ts;
        const prompt = promptOf(event.text, bolt.botUserId);
        const teamId = teamOf(body, bolt);
        await answer(client, {
          eventId: String((body as { event_id?: unknown }).event_id ?? `${event.channel}-${event.ts}`),
          teamId,
          channel: event.channel,
          user: event.user,
          text: prompt,
          ts: event.ts,
          threadTs,
          files: event.files,
          assistantThread: true,
          onClaimed: statusAcknowledgment(context, client, teamId, event.channel, threadTs, prompt),
        });
      }),
  });
}
