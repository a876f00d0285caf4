import type { MessageControls } from '../../src/render/surface.ts';

/**
 * Buttons the bot attaches (Stop while streaming, Approve / Deny for tools) and their custom ids,
 * `ofox:<action>:<id>`. Raw wire JSON: the worker writes through REST, not discord.js builders.
 */

export type ButtonAction = 'stop' | 'approve' | 'deny';

export interface ParsedCustomId {
  action: ButtonAction;
  id: string;
}

const BUTTON = 2;
const ACTION_ROW = 1;
const Style = { Secondary: 2, Success: 3, Danger: 4 } as const;

export function customId(action: ButtonAction, id: string): string {
  return `ofox:${action}:${id}`;
}

export function parseCustomId(value: string): ParsedCustomId | undefined {
  const match = /^ofox:(stop|approve|deny):(.{1,90})$/.exec(value);
  if (!match) return undefined;
  return { action: match[1] as ButtonAction, id: match[2] ?? '' };
}

export interface ButtonRow {
  type: typeof ACTION_ROW;
  components: { type: typeof BUTTON; style: number; label: string; custom_id: string; emoji?: { name: string } }[];
}

export function stopRow(jobId: string): ButtonRow {
  return { type: ACTION_ROW, components: [{ type: BUTTON, style: Style.Secondary, label: 'Stop', emoji: { name: '⏹️' }, custom_id: customId('stop', jobId) }] };
}

export function approvalRow(approvalId: string): ButtonRow {
  return {
    type: ACTION_ROW,
    components: [
      { type: BUTTON, style: Style.Success, label: 'Approve', custom_id: customId('approve', approvalId) },
      { type: BUTTON, style: Style.Danger, label: 'Deny', custom_id: customId('deny', approvalId) },
    ],
  };
}

/**
 * The `components` field for a write: a Stop button while streaming, none on the final write.
 * Undefined leaves the message's buttons as they are. Feedback buttons are a Slack affordance.
 */
export function componentsFor(controls: MessageControls | undefined, final: boolean | undefined): ButtonRow[] | undefined {
  if (final) return [];
  if (!controls) return undefined;
  return controls.kind === 'stop' ? [stopRow(controls.jobId)] : [];
}
