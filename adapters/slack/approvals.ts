import type { KnownBlock, WebClient } from '@slack/web-api';
import type { ChatJob } from '../../src/ingress/index.ts';
import { pacedWrite } from '../../src/render/paced-write.ts';
import type { MessageRef } from '../../src/render/surface.ts';
import type { WritePacer } from '../../src/render/write-budget.ts';
import type { ApprovalOutcome, ApprovalPrompt, ApprovalSurface } from '../../src/worker/ports.ts';
import { ACTION_IDS } from './blocks.ts';
import { escapeMrkdwn, fallbackText, neutralizeMentions } from './formatting.ts';
import { surfaceCall } from './web-client.ts';
import { slackPostBudgets, slackUpdateBudget } from './write-budgets.ts';

/**
 * Approve / Deny buttons in the answer's thread; the clicks arrive through the ingress.
 *
 * Both writes draw from the budgets the answer's own writes use: the prompt is a chat.postMessage
 * (the channel's post budget, then the workspace's post pool) and a `first-text` write, since the
 * tool, the answer and a person wait until it shows; the outcome is a chat.update (the workspace's
 * Tier 3 budget) and a `final` write, completing a message nobody waits on any more.
 */

const OUTCOME_TEXT: Record<ApprovalOutcome, string> = {
  approved: '✅ Approved',
  denied: '🚫 Denied',
  'timed-out': '⌛ No decision in time; not run',
  cancelled: '■ Cancelled',
};

function describe(prompt: ApprovalPrompt): string {
  const summary = prompt.summary ? `\n\`${escapeMrkdwn(neutralizeMentions(prompt.summary)).replace(/`/g, "'")}\`` : '';
  return `*Run tool \`${escapeMrkdwn(prompt.toolName)}\`?*${summary}`;
}

export class SlackApprovals implements ApprovalSurface {
  private readonly client: WebClient;
  /** The process's shared pacer, looked up per write (shared after the ports are built). */
  private readonly pacer: () => WritePacer | undefined;

  constructor(client: WebClient, pacer: () => WritePacer | undefined) {
    this.client = client;
    this.pacer = pacer;
  }

  async post(job: ChatJob, prompt: ApprovalPrompt): Promise<MessageRef> {
    const text = describe(prompt);
    const blocks: KnownBlock[] = [
      { type: 'section', text: { type: 'mrkdwn', text: fallbackText(text), verbatim: true } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Only the person who asked, or an admin, can decide.' }] },
      {
        type: 'actions',
        block_id: 'ofox_approval',
        elements: [
          { type: 'button', style: 'primary', action_id: ACTION_IDS.approve, value: prompt.approvalId, text: { type: 'plain_text', text: 'Approve' } },
          { type: 'button', style: 'danger', action_id: ACTION_IDS.deny, value: prompt.approvalId, text: { type: 'plain_text', text: 'Deny' } },
        ],
      },
    ];
    const threadTs = job.threadId ?? job.messageId;
    const budgets = slackPostBudgets(job.workspaceId, job.channelId);
    // A 429 is blamed on the channel's budget, as the surface does: by far the tighter of the two.
    const response = await pacedWrite({ pacer: this.pacer(), budgets, writeClass: 'first-text', what: 'the approval prompt' }, () =>
      surfaceCall(
        () => this.client.chat.postMessage({ channel: job.channelId, ...(threadTs ? { thread_ts: threadTs } : {}), text: fallbackText(text), blocks }),
        [budgets[0]!.key],
      ),
    );
    if (!response.ts) throw new Error('chat.postMessage answered without a ts');
    // The workspace rides in the ref: `resolve` draws from that workspace's chat.update budget.
    return { id: response.ts, channelId: job.channelId, extra: { ...(threadTs ? { threadTs } : {}), teamId: job.workspaceId } };
  }

  async resolve(ref: MessageRef, prompt: ApprovalPrompt, outcome: ApprovalOutcome, decidedBy?: string): Promise<void> {
    // The decider is named, not mentioned: resolving must not notify anyone.
    const by = decidedBy ? ` by ${escapeMrkdwn(decidedBy)}` : '';
    const text = `${describe(prompt)}\n${OUTCOME_TEXT[outcome]}${outcome === 'approved' || outcome === 'denied' ? by : ''}`;
    const budgets = [slackUpdateBudget(ref.extra?.teamId ?? 'unknown')];
    await pacedWrite({ pacer: this.pacer(), budgets, writeClass: 'final', what: 'the approval outcome' }, () =>
      surfaceCall(() =>
        this.client.chat.update({ channel: ref.channelId, ts: ref.id, text: fallbackText(text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: fallbackText(text), verbatim: true } }] }),
      ),
    );
  }
}
