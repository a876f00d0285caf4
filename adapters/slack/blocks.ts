import type { ActionsBlock, KnownBlock } from '@slack/web-api';
import type { MessageControls } from '../../src/render/surface.ts';
import { fallbackText, markdownToMrkdwn, neutralizeMarkdown, splitMrkdwn } from './formatting.ts';

/** Action ids the ingress listens for; the button's `value` carries the job or approval id. */
export const ACTION_IDS = {
  stop: 'ofox_stop',
  feedbackUp: 'ofox_feedback_up',
  feedbackDown: 'ofox_feedback_down',
  approve: 'ofox_approve',
  deny: 'ofox_deny',
} as const;

/** Shown while nothing has been written yet (Slack refuses empty messages). */
export const PLACEHOLDER_MARKDOWN = '_Thinking…_';

export function controlBlocks(controls: MessageControls | undefined): ActionsBlock[] {
  if (!controls || controls.kind === 'none') return [];
  if (controls.kind === 'stop') {
    return [
      {
        type: 'actions',
        block_id: 'ofox_controls',
        elements: [{ type: 'button', action_id: ACTION_IDS.stop, value: controls.jobId, text: { type: 'plain_text', text: '■ Stop', emoji: true } }],
      },
    ];
  }
  return [
    {
      type: 'actions',
      block_id: 'ofox_feedback',
      elements: [
        { type: 'button', action_id: ACTION_IDS.feedbackUp, value: controls.jobId, text: { type: 'plain_text', text: '👍', emoji: true } },
        { type: 'button', action_id: ACTION_IDS.feedbackDown, value: controls.jobId, text: { type: 'plain_text', text: '👎', emoji: true } },
      ],
    },
  ];
}

/** A message as mrkdwn sections (each under Slack's 3,000-char section limit) plus its buttons. */
export function mrkdwnMessage(markdown: string, controls?: MessageControls): { text: string; blocks: KnownBlock[] } {
  const mrkdwn = markdownToMrkdwn(markdown.trim().length > 0 ? markdown : PLACEHOLDER_MARKDOWN);
  const sections: KnownBlock[] = splitMrkdwn(mrkdwn)
    .filter((piece) => piece.trim().length > 0)
    .map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: piece, verbatim: true } }));
  return { text: fallbackText(mrkdwn), blocks: [...sections, ...controlBlocks(controls)] };
}

/** A message as one `markdown` block (Slack renders the markdown) plus its buttons. */
export function markdownMessage(markdown: string, controls?: MessageControls): { text: string; blocks: KnownBlock[] } {
  const source = markdown.trim().length > 0 ? markdown : PLACEHOLDER_MARKDOWN;
  return {
    text: fallbackText(markdownToMrkdwn(source)),
    blocks: [{ type: 'markdown', text: neutralizeMarkdown(source) }, ...controlBlocks(controls)],
  };
}
