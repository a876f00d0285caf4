import type { CommandInvocation, CommandReply } from './types.ts';
import type { AccessList } from '../governance/access-rules.ts';
import type { AccessRule } from '../governance/governance-config.ts';
import { recordChange } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { extractId } from './mentions.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const HELP =
  'Use `access` to see the rules; admins change them with `access <allow|deny|approver> <user|group|channel> <ids…>`, `access remove <allow|deny|approver> <user|group|channel> <ids…>` and `access dms <on|off|reset>`. Rules apply to this channel; add `--workspace` for the whole workspace. Deny wins; with no allow list everyone may ask.';

const LISTS: Record<string, Partial<Record<string, AccessList>>> = {
  allow: { user: 'allowUsers', group: 'allowGroups', channel: 'allowChannels' },
  deny: { user: 'denyUsers', group: 'denyGroups', channel: 'denyChannels' },
  approver: { user: 'approverUsers', group: 'approverGroups' },
};

/** `access`: who may use the bot here; admins allow, deny and name tool approvers (audited). */
export async function accessCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const governance = deps.governance;
  if (!governance) return whisper('Access rules are off: governance is not set up on this bot.');
  const { level, words } = parseArgs(command.args);
  const first = words[0]?.toLowerCase();
  const rest = words.slice(1);
  if (first === undefined || first === 'show' || first === 'list') return showAccess(command, deps);
  if (!command.isAdmin) return adminOnly('access rules');

  if (first === 'dms') {
    const value = rest[0]?.toLowerCase();
    if (value !== 'on' && value !== 'off' && value !== 'reset') return whisper(HELP);
    const on = value === 'reset' ? null : value === 'on';
    const before = await governance.access.setDms(command, level, on);
    const describe = (stored: boolean | null | undefined) => (stored === undefined || stored === null ? '(inherited)' : stored ? 'on' : 'off');
    await recordChange(command, deps, { action: 'access', target: `direct messages (${level})`, before: describe(before), after: describe(on) });
    return announce(on === null ? `Direct messages follow the default again for ${levelName(level)}.` : `Direct messages are now ${on ? 'allowed' : 'refused'} for ${levelName(level)}.`);
  }

  const removing = first === 'remove';
  const [listWord, kindWord, ...idWords] = removing ? rest : [first, ...rest];
  const kind = kindWord?.toLowerCase().replace(/s$/, '').replace(/^role$/, 'group');
  const list = listWord && kind ? LISTS[listWord.toLowerCase()]?.[kind] : undefined;
  if (!list) return whisper(HELP);
  const ids = idWords.map(extractId);
  if (ids.length === 0 || ids.some((id) => id === undefined)) return whisper(`Name at least one ${kindWord} by id or mention. ${HELP}`);
  const { before, after } = await governance.access.change(command, level, list, removing ? 'remove' : 'add', ids as string[]);
  await recordChange(command, deps, { action: 'access', target: `${list} (${level})`, before: describeIds(before), after: describeIds(after) });
  const named = (ids as string[]).map((id) => `\`${id}\``).join(', ');
  return announce(`${removing ? 'Removed' : 'Added'} ${named} ${removing ? 'from' : 'to'} \`${list}\` for ${levelName(level)}.`);
}

function describeIds(ids: readonly string[]): string {
  return ids.length === 0 ? '(empty)' : ids.join(', ');
}

async function showAccess(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const rules = await deps.governance!.access.rulesFor(command);
  const lines = ['**Access rules in force here** (config file and commands together)'];
  lines.push(`- Workspace: ${describeRule(rules.workspace)}`);
  lines.push(`- This channel: ${describeRule(rules.channel)}`);
  if (command.isAdmin) lines.push('', HELP);
  return whisper(lines.join('\n'));
}

function describeRule(rule: AccessRule): string {
  const parts: string[] = [];
  const add = (label: string, ids: readonly string[]) => {
    if (ids.length > 0) parts.push(`${label} ${ids.map((id) => `\`${id}\``).join(', ')}`);
  };
  add('allowed users', rule.allowUsers);
  add('denied users', rule.denyUsers);
  add('allowed groups', rule.allowGroups);
  add('denied groups', rule.denyGroups);
  add('allowed channels', rule.allowChannels);
  add('denied channels', rule.denyChannels);
  add('approver users', rule.approverUsers);
  add('approver groups', rule.approverGroups);
  if (rule.dms !== undefined) parts.push(`direct messages ${rule.dms ? 'on' : 'off'}`);
  return parts.length > 0 ? parts.join('; ') : 'open to everyone';
}
