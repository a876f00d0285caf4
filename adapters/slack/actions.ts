import type { App } from '@slack/bolt';
import { ACTION_IDS } from './blocks.ts';
import { ephemeral, guarded, isAdmin, type IngressContext } from './answer.ts';

/**
 * Button presses: Stop (`value` = job id), Approve / Deny (`value` = approval id), 👍 / 👎.
 * Each acks first; who may press is decided by the core, and a refusal is shown only to the presser.
 */

interface Click {
  actionId: string;
  value: string;
  user: string;
  channel: string;
  /** The workspace, whose chat.postEphemeral budget the presser's note draws from. */
  teamId: string;
  threadTs?: string;
}

function clickOf(body: unknown, action: unknown): Click | undefined {
  const payload = body as {
    user?: { id?: string };
    team?: { id?: string } | null;
    channel?: { id?: string };
    container?: { channel_id?: string; thread_ts?: string };
    message?: { thread_ts?: string };
  };
  const pressed = action as { action_id?: string; value?: string };
  const user = payload.user?.id;
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  if (!user || !channel || !pressed.action_id || !pressed.value) return undefined;
  const teamId = payload.team?.id ?? 'unknown';
  return { actionId: pressed.action_id, value: pressed.value, user, channel, teamId, threadTs: payload.container?.thread_ts ?? payload.message?.thread_ts };
}

/** What the presser is told: thanks, or that their earlier vote changed. */
function feedbackNote(status: string | undefined): string {
  if (status === 'changed') return 'Thanks — your feedback on this answer is updated.';
  if (status === 'unchanged') return 'You already gave this feedback on this answer.';
  return 'Thanks for the feedback.';
}

export function registerActions(app: App, context: IngressContext): void {
  const { services, log } = context;

  app.action(ACTION_IDS.stop, async ({ ack, body, action, client }) => {
    await ack();
    await guarded(context, 'stop', async () => {
      const click = clickOf(body, action);
      if (!click) return void log.warn({ action: ACTION_IDS.stop }, 'slack: malformed stop click');
      const note = (text: string) => ephemeral(context, client, { teamId: click.teamId, channel: click.channel, user: click.user, text, threadTs: click.threadTs });
      if (!(await services.canCancel(click.value, click.user, isAdmin(context, click.user)))) {
        return note('Only the person who asked, or an admin, can stop this answer.');
      }
      if (!(await services.cancel(click.value, click.user))) await note('That answer has already finished.');
    });
  });

  app.action(new RegExp(`^(${ACTION_IDS.approve}|${ACTION_IDS.deny})$`), async ({ ack, body, action, client }) => {
    await ack();
    await guarded(context, 'approval', async () => {
      const click = clickOf(body, action);
      if (!click) return void log.warn('slack: malformed approval click');
      const result = await services.decideApproval({
        approvalId: click.value,
        userId: click.user,
        isAdmin: isAdmin(context, click.user),
        decision: click.actionId === ACTION_IDS.approve ? 'approve' : 'deny',
        platform: 'slack',
        workspaceId: click.teamId,
        channelId: click.channel,
      });
      if (result.status !== 'accepted') await ephemeral(context, client, { teamId: click.teamId, channel: click.channel, user: click.user, text: result.message, threadTs: click.threadTs });
    });
  });

  app.action(new RegExp(`^(${ACTION_IDS.feedbackUp}|${ACTION_IDS.feedbackDown})$`), async ({ ack, body, action, client }) => {
    await ack();
    await guarded(context, 'feedback', async () => {
      const click = clickOf(body, action);
      if (!click) return void log.warn('slack: malformed feedback click');
      const vote = click.actionId === ACTION_IDS.feedbackUp ? 'up' : 'down';
      // Counted once per person per answer: pressing again changes the vote, never adds one.
      const result = await services.feedback?.vote({ platform: 'slack', jobId: click.value, userId: click.user, vote });
      log.info({ jobId: click.value, user: click.user, vote, status: result?.status }, 'slack: answer feedback');
      await ephemeral(context, client, { teamId: click.teamId, channel: click.channel, user: click.user, text: feedbackNote(result?.status), threadTs: click.threadTs });
    });
  });
}
