import type { CommandInvocation, CommandReply } from './types.ts';
import { formatAuditEntry } from '../governance/audit-log.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { whisper } from './replies.ts';

/** @defaultValue 20 entries; at most 50 fit a chat message. */
const DEFAULT_ENTRIES = 20;
const MAX_ENTRIES = 50;

/** `audit [n]`: the workspace's latest settings, budget, access and approval changes (admins only). */
export async function auditCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const audit = deps.governance?.audit;
  if (!audit) return whisper('The audit trail is off: governance is not set up on this bot.');
  if (!command.isAdmin) return whisper('Only admins can read the audit trail.');
  const wanted = command.args.trim() === '' ? DEFAULT_ENTRIES : Number(command.args.trim());
  if (!Number.isInteger(wanted) || wanted < 1) return whisper('Use `audit` or `audit <how many>`, e.g. `audit 10`.');
  const entries = await audit.recent({ limit: Math.min(wanted, MAX_ENTRIES), workspace: { platform: command.platform, workspaceId: command.workspaceId } });
  if (entries.length === 0) return whisper('No changes recorded in this workspace yet.');
  return whisper([`**Audit trail** (newest first, ${entries.length})`, ...entries.map((entry) => `- ${formatAuditEntry(entry)}`)].join('\n'));
}
