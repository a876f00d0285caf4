import type { ActionsBlock, ContextBlock, KnownBlock } from '@slack/web-api';
import { toolStatusBlock } from '../../src/render/status-text.ts';
import type { MessageControls, ToolStatus } from '../../src/render/surface.ts';
import { fallbackText, markdownToMrkdwn, neutralizeMarkdown, splitMrkdwn } from './formatting.ts';
import { reasoningBlocks } from './reasoning.ts';

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

/** Room for tool lines before mrkdwn escaping; the context element itself is capped at Slack's 3,000. */
const TOOL_LINES_CHARS = 1_500;

/**
 * Tool calls as a context block. Only for messages that are not a live stream: there Slack shows
 * them as task updates, but once the renderer is told `nativeToolStatus` it leaves them out of
 * the text, so a plain message (or a stream rewritten with chat.update) must list them itself.
 */
export function toolBlocks(tools: readonly ToolStatus[] | undefined): ContextBlock[] {
  if (!tools || tools.length === 0) return [];
  // markdownToMrkdwn neutralizes mentions and escapes, as for every other text the bot writes.
  const text = fallbackText(markdownToMrkdwn(toolStatusBlock(tools, TOOL_LINES_CHARS)));
  return [{ type: 'context', block_id: 'ofox_tools', elements: [{ type: 'mrkdwn', text, verbatim: true }] }];
}

/** A message as mrkdwn sections (each under Slack's 3,000-char section limit), its tool calls, its reasoning line and its buttons. */
export function mrkdwnMessage(markdown: string, controls?: MessageControls, tools?: readonly ToolStatus[], reasoning?: string): { text: string; blocks: KnownBlock[] } {
  const mrkdwn = markdownToMrkdwn(markdown.trim().length > 0 ? markdown : PLACEHOLDER_MARKDOWN);
  const sections: KnownBlock[] = splitMrkdwn(mrkdwn)
    .filter((piece) => piece.trim().length > 0)
    .map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: piece, verbatim: true } }));
  return { text: fallbackText(mrkdwn), blocks: [...sections, ...toolBlocks(tools), ...reasoningBlocks(reasoning), ...controlBlocks(controls)] };
}

/** A message as one `markdown` block (Slack renders the markdown), its tool calls, its reasoning line and its buttons. */
export function markdownMessage(markdown: string, controls?: MessageControls, tools?: readonly ToolStatus[], reasoning?: string): { text: string; blocks: KnownBlock[] } {
  const source = markdown.trim().length > 0 ? markdown : PLACEHOLDER_MARKDOWN;
  return {
    text: fallbackText(markdownToMrkdwn(source)),
    blocks: [{ type: 'markdown', text: neutralizeMarkdown(source) }, ...toolBlocks(tools), ...reasoningBlocks(reasoning), ...controlBlocks(controls)],
  };
}
