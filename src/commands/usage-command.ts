import type { CommandInvocation, CommandReply } from './types.ts';
import type { UsageTotals } from '../usage/types.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { whisper } from './replies.ts';

export async function usageCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const days = deps.usageDays ?? 7;
  const report = await deps.usage.report(
    { platform: command.platform, workspaceId: command.workspaceId, channelId: command.channelId, userId: command.userId },
    days,
  );
  const active = report.days.filter((day) => day.user.requests + day.channel.requests > 0);
  if (active.length === 0) return whisper(`No usage recorded in the last ${days} days.`);
  const total = (pick: 'user' | 'channel'): UsageTotals =>
    active.reduce(
      (sum, day) => ({
        requests: sum.requests + day[pick].requests,
        inputTokens: sum.inputTokens + day[pick].inputTokens,
        outputTokens: sum.outputTokens + day[pick].outputTokens,
      }),
      { requests: 0, inputTokens: 0, outputTokens: 0 },
    );
  const lines = [`**Usage, last ${days} days**`];
  lines.push(`- **You:** ${formatTotals(total('user'))}`);
  lines.push(`- **This channel:** ${formatTotals(total('channel'))}`);
  lines.push('', '**By day** (you · this channel)');
  for (const day of active) lines.push(`- ${day.day}: ${formatTotals(day.user)} · ${formatTotals(day.channel)}`);
  return whisper(lines.join('\n'));
}

export function formatTotals(totals: UsageTotals): string {
  const number = (value: number) => value.toLocaleString('en-US');
  return `${number(totals.requests)} ${totals.requests === 1 ? 'request' : 'requests'}, ${number(totals.inputTokens)} tokens in / ${number(totals.outputTokens)} out`;
}
