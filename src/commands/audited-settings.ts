import type { CommandInvocation } from './types.ts';
import type { ScopedSettings, SettingsLevel, SettingsPatch } from '../settings/index.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import type { AuditAction } from '../governance/audit-log.ts';

/** Settings changed by a command, with the change written to the audit trail (who, what, before → after). */
export async function updateSettingsAudited(command: CommandInvocation, deps: CommandServiceDeps, level: SettingsLevel, patch: SettingsPatch): Promise<ScopedSettings> {
  const before = await deps.settings.get(command, level);
  const after = await deps.settings.update(command, level, patch);
  const audit = deps.governance?.audit;
  if (audit) {
    for (const [field, describe] of fieldsOf(patch)) {
      await audit.record({
        platform: command.platform,
        workspaceId: command.workspaceId,
        channelId: command.channelId,
        actor: command.userId,
        action: 'settings',
        target: `${field} (${level})`,
        before: describe(before),
        after: describe(after),
      });
    }
  }
  return after;
}

/** Records a change that is not a settings field (budgets, access, channel options). */
export async function recordChange(
  command: CommandInvocation,
  deps: CommandServiceDeps,
  change: { action: AuditAction; target: string; before: string; after: string },
): Promise<void> {
  await deps.governance?.audit.record({ platform: command.platform, workspaceId: command.workspaceId, channelId: command.channelId, actor: command.userId, ...change });
}

const UNSET = '(unset)';

function short(text: string | undefined): string {
  if (text === undefined) return UNSET;
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function fieldsOf(patch: SettingsPatch): Array<[string, (settings: ScopedSettings) => string]> {
  const fields: Array<[string, (settings: ScopedSettings) => string]> = [];
  if (patch.model !== undefined) fields.push(['model', (settings) => settings.model ?? UNSET]);
  if (patch.imageModel !== undefined) fields.push(['image model', (settings) => settings.imageModel ?? UNSET]);
  if (patch.persona !== undefined) fields.push(['persona', (settings) => short(settings.persona)]);
  if (patch.reasoning !== undefined) fields.push(['reasoning', (settings) => settings.reasoning ?? UNSET]);
  for (const name of Object.keys(patch.tools ?? {})) {
    fields.push([`tool ${name}`, (settings) => (settings.tools?.[name] === undefined ? UNSET : settings.tools[name] ? 'on' : 'off')]);
  }
  return fields;
}
