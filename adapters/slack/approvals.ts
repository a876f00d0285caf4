import type { KnownBlock, WebClient } from '@slack/web-api';
import type { ChatJob } from '../../src/ingress/index.ts';
import type { MessageRef } from '../../src/render/surface.ts';
import type { ApprovalOutcome, ApprovalPrompt, ApprovalSurface } from '../../src/worker/ports.ts';
import { ACTION_IDS } from './blocks.ts';
import { escapeMrkdwn, fallbackText, neutralizeMentions } from './formatting.ts';
import { surfaceCall } from './web-client.ts';

/** Approve / Deny buttons in the answer's thread; the clicks arrive through the ingress. */

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

  constructor(client: WebClient) {
    this.client = client;
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
    const response = await surfaceCall(() =>
      this.client.chat.postMessage({ channel: job.channelId, ...(threadTs ? { thread_ts: threadTs } : {}), text: fallbackText(text), blocks }),
    );
    if (!response.ts) throw new Error('chat.postMessage answered without a ts');
    return { id: response.ts, channelId: job.channelId, ...(threadTs ? { extra: { threadTs } } : {}) };
  }

  async resolve(ref: MessageRef, prompt: ApprovalPrompt, outcome: ApprovalOutcome, decidedBy?: string): Promise<void> {
    // The decider is named, not mentioned: resolving must not notify anyone.
    const by = decidedBy ? ` by ${escapeMrkdwn(decidedBy)}` : '';
    const text = `${describe(prompt)}\n${OUTCOME_TEXT[outcome]}${outcome === 'approved' || outcome === 'denied' ? by : ''}`;
    await surfaceCall(() =>
      this.client.chat.update({ channel: ref.channelId, ts: ref.id, text: fallbackText(text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: fallbackText(text), verbatim: true } }] }),
    );
  }
}
