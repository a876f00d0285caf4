import type { ChatJob } from '../../src/ingress/index.ts';
import type { MessageRef } from '../../src/render/surface.ts';
import type { ApprovalOutcome, ApprovalPrompt, ApprovalSurface } from '../../src/worker/ports.ts';
import { approvalRow } from './components.ts';
import { DiscordRejectedError } from './errors.ts';
import { fitMessage, toDiscordText } from './formatting.ts';
import { EPHEMERAL_FLAG, refKind, type DiscordMessages } from './messages.ts';
import { channelCreateBudgets, discordPacedWrite, editBudgets, type DiscordWritePacing } from './paced-writes.ts';
import { discordWebhookBudgets } from './write-budgets.ts';

/**
 * Approve / Deny buttons in the answer's channel or thread (replying to the answer), or as an
 * ephemeral follow-up for a private slash-command answer. Clicks come back through ingress; the
 * worker calls `resolve` to show the outcome and take the buttons away.
 *
 * Both writes draw from the budgets the answer's own writes use (`paced-writes.ts`), so a prompt
 * posted while the answer streams shares the channel's 5 per 5 s instead of drawing a 429. The
 * prompt is a `first-text` write: the tool, the answer and a person all wait until it shows. The
 * outcome is a `final` write: it completes a message nobody waits on any more.
 */

export class DiscordApprovalSurface implements ApprovalSurface {
  private readonly messages: DiscordMessages;
  private readonly pacing: DiscordWritePacing;

  constructor(messages: DiscordMessages, pacing: DiscordWritePacing) {
    this.messages = messages;
    this.pacing = pacing;
  }

  async post(job: ChatJob, prompt: ApprovalPrompt): Promise<MessageRef> {
    const body = { content: approvalText(prompt), components: [approvalRow(prompt.approvalId)] };
    const channelId = job.threadId ?? job.channelId;
    const placeholder = job.placeholder;
    if (placeholder && refKind(placeholder) === 'interaction') {
      const interactionId = placeholder.extra?.interactionId ?? '';
      const ref = await discordPacedWrite(this.pacing, { budgets: discordWebhookBudgets(interactionId), writeClass: 'first-text', what: 'the approval prompt' }, () =>
        this.messages.followUp(interactionId, channelId, { ...body, ...(job.private ? { flags: EPHEMERAL_FLAG } : {}) }),
      );
      if (ref) return ref;
      if (job.private) throw new DiscordRejectedError('cannot ask for approval privately: the interaction token expired');
    }
    const replyTo = placeholder && refKind(placeholder) === 'channel' ? placeholder.id : undefined;
    return discordPacedWrite(this.pacing, { budgets: channelCreateBudgets(this.pacing, channelId), writeClass: 'first-text', what: 'the approval prompt' }, () =>
      this.messages.post(channelId, body, replyTo),
    );
  }

  async resolve(ref: MessageRef, prompt: ApprovalPrompt, outcome: ApprovalOutcome, decidedBy?: string): Promise<void> {
    await discordPacedWrite(this.pacing, { budgets: editBudgets(this.pacing, ref), writeClass: 'final', what: 'the approval outcome' }, () =>
      this.messages.edit(ref, { content: approvalText(prompt, outcome, decidedBy), components: [] }),
    );
  }
}

/** The approval message; mentions render as names but never ping (allowed_mentions is empty). */
export function approvalText(prompt: ApprovalPrompt, outcome?: ApprovalOutcome, decidedBy?: string): string {
  const summary = prompt.summary.replace(/```/g, 'ˋˋˋ');
  const request = `🔧 **${prompt.toolName}** wants to run:\n\`\`\`\n${fitMessage(summary, 1500)}\n\`\`\``;
  const by = decidedBy ? ` by <@${decidedBy}>` : '';
  const status = (() => {
    switch (outcome) {
      case undefined:
        return `<@${prompt.userId}> (or an admin) may approve.`;
      case 'approved':
        return `✅ Approved${by}.`;
      case 'denied':
        return `❌ Denied${by}.`;
      case 'timed-out':
        return '⌛ No decision in time; the tool was not run.';
      case 'cancelled':
        return '⏹ Cancelled; the tool was not run.';
    }
  })();
  return toDiscordText(fitMessage(`${request}\n${status}`));
}
