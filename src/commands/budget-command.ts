import type { CommandInvocation, CommandReply } from './types.ts';
import { LIMIT_METRICS, type LimitMetric, type LimitTarget } from '../governance/budget-limits.ts';
import { formatUsd, parseUsd } from '../governance/money.ts';
import { recordChange } from './audited-settings.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { extractId } from './mentions.ts';
import { adminOnly, announce, whisper } from './replies.ts';

const HELP =
  'Use `budget`, `budget set <target> <daily|monthly> <amount|none> [tokens]` or `budget reset <target> <daily|monthly> [tokens]`, where the target is `user <id or mention>`, `everyone` (each user without their own limit), `channel` (this channel) or `workspace` (the whole workspace). Amounts are US dollars, e.g. `budget set user @ana daily $2`.';

/** `budget`: the limits in force here; admins set and reset them (every change goes to the audit trail). */
export async function budgetCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const governance = deps.governance;
  if (!governance) return whisper('Budgets are off: governance is not set up on this bot.');
  const words = command.args.trim().split(/\s+/).filter((word) => word);
  const [action, ...rest] = words;
  if (action === undefined || action.toLowerCase() === 'show') return showBudgets(command, deps);
  const verb = action.toLowerCase();
  if (verb !== 'set' && verb !== 'reset' && verb !== 'clear') return whisper(HELP);
  if (!command.isAdmin) return adminOnly('budgets');

  const parsed = parseTarget(rest, command.channelId);
  if (!parsed) return whisper(HELP);
  const { target, remaining } = parsed;
  const [periodWord, ...tail] = remaining;
  const period = periodWord?.toLowerCase() === 'daily' || periodWord?.toLowerCase() === 'day' ? 'daily' : periodWord?.toLowerCase() === 'monthly' || periodWord?.toLowerCase() === 'month' ? 'monthly' : undefined;
  if (!period) return whisper(HELP);
  const tokens = tail.some((word) => /^tokens?$/i.test(word));
  const metric = `${period}${tokens ? 'Tokens' : 'Usd'}` as LimitMetric;
  const scope = { platform: command.platform, workspaceId: command.workspaceId };

  let value: number | null | undefined;
  if (verb === 'set') {
    const amountWord = tail.find((word) => !/^tokens?$/i.test(word));
    if (amountWord === undefined) return whisper(HELP);
    if (/^(none|unlimited|off)$/i.test(amountWord)) value = null;
    else if (tokens) {
      const count = Number(amountWord.replace(/[,_]/g, ''));
      if (!Number.isInteger(count) || count < 0) return whisper(`\`${amountWord}\` is not a number of tokens.`);
      value = count;
    } else {
      value = parseUsd(amountWord);
      if (value === undefined) return whisper(`\`${amountWord}\` is not an amount in dollars, e.g. \`$2\` or \`0.50\`.`);
    }
  }
  const before = await governance.limits.set(scope, target, metric, value);
  const describeValue = (stored: number | null | undefined) => (stored === undefined ? '(unset)' : stored === null ? 'no limit' : tokens ? `${stored.toLocaleString('en-US')} tokens` : formatUsd(stored));
  const what = `${period} ${tokens ? 'token' : 'dollar'} limit for ${describeTarget(target)}`;
  await recordChange(command, deps, { action: 'budget', target: what, before: describeValue(before), after: describeValue(value) });
  return announce(value === undefined ? `The ${what} was reset (the config file's limit, if any, applies again).` : `The ${what} is now ${describeValue(value)}.`);
}

function parseTarget(words: string[], channelId: string): { target: LimitTarget; remaining: string[] } | undefined {
  const [kind, ...rest] = words;
  switch (kind?.toLowerCase()) {
    case 'user': {
      const id = rest[0] ? extractId(rest[0]) : undefined;
      return id ? { target: { kind: 'user', id }, remaining: rest.slice(1) } : undefined;
    }
    case 'everyone':
    case 'users':
      return { target: { kind: 'everyone' }, remaining: rest };
    case 'channel':
      return { target: { kind: 'channel', id: channelId }, remaining: rest };
    case 'workspace':
      return { target: { kind: 'workspace' }, remaining: rest };
    default:
      return undefined;
  }
}

function describeTarget(target: LimitTarget): string {
  switch (target.kind) {
    case 'user':
      return `user ${target.id}`;
    case 'everyone':
      return 'each user';
    case 'channel':
      return `channel ${target.id}`;
    case 'workspace':
      return 'the workspace';
  }
}

async function showBudgets(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const governance = deps.governance;
  if (!governance) return whisper('Budgets are off.');
  const limits = await governance.limits.resolve(command);
  const describe = (kind: 'user' | 'channel' | 'workspace') => {
    const resolved = limits[kind];
    const parts: string[] = [];
    if (resolved.usd.day !== undefined) parts.push(`${formatUsd(resolved.usd.day)} a day`);
    if (resolved.usd.month !== undefined) parts.push(`${formatUsd(resolved.usd.month)} a month`);
    if (resolved.tokens.day !== undefined) parts.push(`${resolved.tokens.day.toLocaleString('en-US')} tokens a day`);
    if (resolved.tokens.month !== undefined) parts.push(`${resolved.tokens.month.toLocaleString('en-US')} tokens a month`);
    return parts.length > 0 ? parts.join(', ') : 'no limit';
  };
  const lines = ['**Budgets in force here** (US dollars, UTC days and months)', `- You: ${describe('user')}`, `- This channel: ${describe('channel')}`, `- This workspace: ${describe('workspace')}`];
  if (command.isAdmin) {
    const stored = await governance.limits.storedAll(command);
    if (stored.size > 0) {
      lines.push('', '**Set by command** (over the config file)');
      for (const [target, values] of stored) {
        const parts = LIMIT_METRICS.filter((metric) => values[metric] !== undefined).map((metric) => {
          const value = values[metric];
          return `${metric} ${value === null ? 'none' : metric.endsWith('Usd') ? formatUsd(value ?? 0) : (value ?? 0).toLocaleString('en-US')}`;
        });
        lines.push(`- ${target}: ${parts.join(', ')}`);
      }
    }
    lines.push('', HELP);
  }
  return whisper(lines.join('\n'));
}
