import type { CommandInvocation, CommandReply } from './types.ts';
import { feedbackSummary } from '../feedback/feedback-summary.ts';
import { emptyTotals } from '../usage/usage-store.ts';
import type { UsageRow, UsageTotals } from '../usage/types.ts';
import { describeReset, periodAdjective, type BudgetPeriod } from '../governance/budget-periods.ts';
import type { ScopeKind } from '../governance/budget-limits.ts';
import { ledgerScopes } from '../governance/ledger-scopes.ts';
import { formatUsd } from '../governance/money.ts';
import { recordChange } from './audited-settings.ts';
import type { CommandGovernance, CommandServiceDeps } from './command-deps.ts';
import { adminOnly, announce, whisper } from './replies.ts';

/** `usage`: your spend against your limits; `usage top [period]` (admins); `usage footer on|off` (admins). */
export async function usageCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const [action, value] = command.args.trim().toLowerCase().split(/\s+/).filter((word) => word);
  if (action === 'top') return topUsage(command, deps, value);
  if (action === 'footer') return costFooter(command, deps, value);
  if (action !== undefined) return whisper('Use `usage`, `usage top [today|7d|30d]` or `usage footer on|off`.');
  return ownUsage(command, deps);
}

async function ownUsage(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const days = deps.usageDays ?? 7;
  const report = await deps.usage.report({ platform: command.platform, workspaceId: command.workspaceId, channelId: command.channelId, userId: command.userId }, days);
  // An answer that failed after its image still spent money: images count as activity.
  const active = report.days.filter((day) => day.user.requests + day.channel.requests + day.user.images + day.channel.images > 0);
  const lines: string[] = [];
  if (deps.governance) lines.push(...(await spendAgainstLimits(command, deps.governance, (deps.now ?? Date.now)())), '');
  const feedback = await feedbackFor(command, deps, days);
  if (active.length === 0) {
    lines.push(`No answers recorded in the last ${days} days.`);
    if (feedback) lines.push('', feedback);
    return whisper(lines.join('\n').trim());
  }
  const total = (pick: 'user' | 'channel'): UsageTotals => active.reduce((sum, day) => addTotals(sum, day[pick]), emptyTotals());
  lines.push(`**Last ${days} days**`);
  lines.push(`- **You:** ${formatTotals(total('user'))}`);
  lines.push(`- **This channel:** ${formatTotals(total('channel'))}`);
  lines.push('', '**By day** (you · this channel)');
  for (const day of active) lines.push(`- ${day.day}: ${formatTotals(day.user)} · ${formatTotals(day.channel)}`);
  if (feedback) lines.push('', feedback);
  return whisper(lines.join('\n'));
}

/** Admins only: what people thought of the workspace's answers, per model and persona ('' for others, or before any vote). */
async function feedbackFor(command: CommandInvocation, deps: CommandServiceDeps, days: number): Promise<string> {
  if (!command.isAdmin || !deps.feedback) return '';
  return feedbackSummary(deps.feedback, { platform: command.platform, workspaceId: command.workspaceId }, { days, period: days === 1 ? 'today' : `the last ${days} days` });
}

/** Today and this month, in dollars, against the limits that apply (spend of running answers included). */
async function spendAgainstLimits(command: CommandInvocation, governance: CommandGovernance, now: number): Promise<string[]> {
  const scope = { platform: command.platform, workspaceId: command.workspaceId, channelId: command.channelId, userId: command.userId };
  const limits = await governance.limits.resolve(scope);
  const lines = governance.ledger.lines(ledgerScopes(scope, limits), now);
  const spent = await governance.ledger.spent(lines);
  const describe = (kind: ScopeKind, period: BudgetPeriod): string => {
    const index = lines.findIndex((line) => line.kind === kind && line.period === period);
    const line = lines[index];
    const used = spent[index] ?? { nano: 0, tokens: 0 };
    const parts = [formatUsd(used.nano)];
    if (line && line.usdLimit >= 0) parts.push(`of ${formatUsd(line.usdLimit)} ${periodAdjective(period)} limit, ${formatUsd(Math.max(0, line.usdLimit - used.nano))} left, resets ${describeReset(period, now)}`);
    if (line && line.tokenLimit >= 0) parts.push(`${used.tokens.toLocaleString('en-US')} of ${line.tokenLimit.toLocaleString('en-US')} tokens`);
    return parts.length > 1 ? `${parts[0]} (${parts.slice(1).join('; ')})` : parts[0] ?? '';
  };
  return [
    '**Your spend** (US dollars)',
    `- Today: ${describe('user', 'day')}`,
    `- This month: ${describe('user', 'month')}`,
    `**This channel:** today ${describe('channel', 'day')} · this month ${describe('channel', 'month')}`,
    `**This workspace:** today ${describe('workspace', 'day')} · this month ${describe('workspace', 'month')}`,
  ];
}

const PERIODS: Record<string, { days: number; label: string }> = {
  today: { days: 1, label: 'today' },
  '1d': { days: 1, label: 'today' },
  '7d': { days: 7, label: 'the last 7 days' },
  week: { days: 7, label: 'the last 7 days' },
  '30d': { days: 30, label: 'the last 30 days' },
  month: { days: 30, label: 'the last 30 days' },
  '90d': { days: 90, label: 'the last 90 days' },
};

async function topUsage(command: CommandInvocation, deps: CommandServiceDeps, period = '7d'): Promise<CommandReply> {
  if (!command.isAdmin) return whisper('Only admins can see who spent what. `usage` shows your own spend.');
  const chosen = PERIODS[period];
  if (!chosen) return whisper(`Unknown period \`${period}\`; use ${Object.keys(PERIODS).map((name) => `\`${name}\``).join(', ')}.`);
  const workspace = { platform: command.platform, workspaceId: command.workspaceId };
  const [users, channels] = await Promise.all([
    deps.usage.top('user', { days: chosen.days, limit: 10, workspace }),
    deps.usage.top('channel', { days: chosen.days, limit: 10, workspace }),
  ]);
  const feedback = deps.feedback ? await feedbackSummary(deps.feedback, workspace, { days: chosen.days, period: chosen.label }) : '';
  const feedbackLines = feedback ? ['', feedback] : [];
  if (users.length === 0) return whisper([`No answers recorded in ${chosen.label}.`, ...feedbackLines].join('\n'));
  // Ids, not mentions: a mention in a reply would notify (Slack) or need resolving per platform.
  const row = (entry: UsageRow) => `- \`${entry.id}\`: ${formatTotals(entry)}`;
  return whisper([`**Top users, ${chosen.label}**`, ...users.map(row), '', `**Top channels, ${chosen.label}**`, ...channels.map(row), ...feedbackLines].join('\n'));
}

async function costFooter(command: CommandInvocation, deps: CommandServiceDeps, value: string | undefined): Promise<CommandReply> {
  const options = deps.governance?.channelOptions;
  if (!options) return whisper('Costs are not tracked: governance is not set up on this bot.');
  if (value === undefined) {
    const on = await options.showsCost(command);
    return whisper(`Answer costs are ${on ? 'shown' : 'not shown'} in this channel's footers. Admins change it with \`usage footer on|off\`.`);
  }
  if (value !== 'on' && value !== 'off') return whisper('Use `usage footer on` or `usage footer off`.');
  if (!command.isAdmin) return adminOnly("whether answers show their cost");
  const before = await options.setShowCost(command, value === 'on');
  await recordChange(command, deps, { action: 'channel-option', target: 'cost in footer (channel)', before: before ? 'on' : 'off', after: value });
  return announce(value === 'on' ? 'Answers in this channel now show what they cost in their footer.' : 'Answers in this channel no longer show their cost.');
}

function addTotals(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    requests: a.requests + b.requests,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    costNanoUsd: a.costNanoUsd + b.costNanoUsd,
    images: a.images + b.images,
  };
}

export function formatTotals(totals: UsageTotals): string {
  const number = (value: number) => value.toLocaleString('en-US');
  const cached = totals.cachedInputTokens > 0 ? ` (${number(totals.cachedInputTokens)} cached)` : '';
  const images = totals.images > 0 ? `, ${number(totals.images)} ${totals.images === 1 ? 'image' : 'images'}` : '';
  return `${formatUsd(totals.costNanoUsd)}, ${number(totals.requests)} ${totals.requests === 1 ? 'request' : 'requests'}, ${number(totals.inputTokens)} tokens in${cached} / ${number(totals.outputTokens)} out${images}`;
}
