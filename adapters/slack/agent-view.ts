import type { App } from '@slack/bolt';
import { guarded, type IngressContext } from './answer.ts';
import { SUGGESTED_PROMPTS } from './assistant.ts';
import { markdownToMrkdwn } from './formatting.ts';
import { teamOf } from './message-events.ts';
import { slackPacedWrite, slackWriteIfRoom } from './paced-writes.ts';
import { slackAssistantBudget, slackPostBudgets } from './write-budgets.ts';

/**
 * Slack's Agent messaging experience (`agent_view` in the manifest): conversations happen in the
 * app's Messages tab. `app_home_opened` with `tab: "messages"` replaces `assistant_thread_started`:
 * the first time a person opens it the bot greets them, and every time it offers suggested
 * prompts. Their DMs then have no `assistant_app_thread` root; `ingress.ts` answers a top-level DM
 * in its own thread with the status as the acknowledgment (`statusAcknowledgment`).
 */

export const GREETING = "Hi! I'm OfoxAI. Ask me anything here — each question gets its own thread, and I can use the team's tools. Pick a suggestion below or type your own.";

/**
 * Marks a DM as greeted in the answered-threads store (Redis when several gateways run), so the
 * greeting is posted once per person per retention period, not on every open of the tab.
 */
const GREETED_MARKER = 'agent-greeting';

interface AppHomeOpenedEvent {
  type?: string;
  user?: string;
  channel?: string;
  tab?: string;
}

export function registerAgentView(app: App, context: IngressContext): void {
  app.event('app_home_opened', async ({ event, client, body, context: bolt }) =>
    guarded(context, 'app_home_opened', async () => {
      const opened = event as unknown as AppHomeOpenedEvent;
      // The Home and About tabs are not conversations.
      if (opened.tab !== 'messages') return;
      if (!opened.channel || !opened.user) return void context.log.warn({ event: opened.type }, 'slack: malformed app_home_opened');
      const channel = opened.channel;
      const teamId = teamOf(body, bolt);
      if (!(await context.answered.has(channel, GREETED_MARKER))) {
        await context.answered.remember(channel, GREETED_MARKER);
        const budgets = slackPostBudgets(teamId, channel);
        await slackPacedWrite({ budgets, writeClass: 'final', what: 'the greeting', blame: [budgets[0]!.key] }, () => client.chat.postMessage({ channel, text: markdownToMrkdwn(GREETING) }));
      }
      // No thread_ts: for an agent_view app the prompts belong to the DM, and a thread_ts makes the call silently fail.
      // Suggestions are a courtesy: offered while the budget has room, never waited for.
      await slackWriteIfRoom([slackAssistantBudget(teamId, 'setSuggestedPrompts')], () =>
        client.assistant.threads.setSuggestedPrompts({ channel_id: channel, ...SUGGESTED_PROMPTS } as Parameters<typeof client.assistant.threads.setSuggestedPrompts>[0]),
      );
    }),
  );
}
