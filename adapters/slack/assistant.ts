import { Assistant } from '@slack/bolt';
import { guarded, promptOf, type Answer, type IngressContext } from './answer.ts';
import { fromBot, type MessageEventShape, ANSWERABLE_SUBTYPES, teamOf } from './message-events.ts';

/**
 * Assistant threads (the AI app container): suggested prompts when a thread starts; for each
 * message a title (first message), "is thinking…" as the status, then the answer like a DM.
 */
export function createAssistant(context: IngressContext, answer: Answer): Assistant {
  return new Assistant({
    threadStarted: async ({ setSuggestedPrompts }) =>
      guarded(context, 'assistant_thread_started', async () => {
        await setSuggestedPrompts({
          title: 'Try asking',
          prompts: [
            { title: 'Summarize a discussion', message: 'Summarize this discussion in five bullet points:' },
            { title: 'Explain some code', message: 'Explain what this code does and point out bugs:\n```\n\n```' },
            { title: 'Draft a reply', message: 'Help me write a friendly, concise reply to:' },
          ],
        });
      }),
    userMessage: async ({ message, body, context: bolt, client, setStatus, setTitle }) =>
      guarded(context, 'assistant_message', async () => {
        const event = message as MessageEventShape;
        if (!ANSWERABLE_SUBTYPES.has(event.subtype) || fromBot(context, event, bolt)) return;
        if (!event.channel || !event.user || !event.ts) return void context.log.warn({ event: event.type }, 'slack: malformed assistant message');
        const channel = event.channel;
        const threadTs = event.thread_ts ?? event.ts;
        const prompt = promptOf(event.text, bolt.botUserId);
        // Only once the event is claimed: a redelivery must not say "is thinking…" after the answer.
        const onClaimed = async (): Promise<void> => {
          if (!(await context.answered.has(channel, threadTs))) {
            await setTitle(prompt.length > 60 ? `${prompt.slice(0, 59)}…` : prompt || 'New chat').catch(() => undefined);
          }
          await setStatus('is thinking…').catch((error: unknown) => context.log.debug({ err: error }, 'slack: setStatus failed'));
        };
        await answer(client, {
          eventId: String((body as { event_id?: unknown }).event_id ?? `${event.channel}-${event.ts}`),
          teamId: teamOf(body, bolt),
          channel: event.channel,
          user: event.user,
          text: prompt,
          ts: event.ts,
          threadTs,
          files: event.files,
          assistantThread: true,
          onClaimed,
        });
      }),
  });
}
