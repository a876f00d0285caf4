import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { AuditLog, formatAuditEntry } from '../governance/audit-log.ts';
import { formatUsd, nanoToUsd } from '../governance/money.ts';
import { createRedisConnection } from '../queue/redis-connection.ts';
import { redisTopologyFromConfig, type RedisTopologyConfig } from '../queue/redis-topology.ts';
import { UsageStore } from '../usage/usage-store.ts';
import type { UsageRankKind, UsageRow } from '../usage/types.ts';

/** Where the report goes (process.stdout in main). */
export interface UsageOutput {
  write(text: string): unknown;
}

export interface UsageCommandOptions {
  /** An open connection (tests); otherwise one is opened on REDIS_URL and closed after. */
  redis?: Redis;
  /** @defaultValue Date.now */
  now?: () => number;
}

export const USAGE_COMMAND_HELP = `Usage: ofox-bot usage [--since 7d] [--csv] [--top N] [--audit [N]]

  --since Nd   days to cover, today included (today, 1d, 7d, 30d, 90d)   default 7d
  --csv        one CSV row per user, channel and model, for a spreadsheet
  --top N      rows per table                                             default 20
  --audit [N]  the latest N settings, budget, access and approval changes instead (default 50)`;

interface ParsedArgs {
  days: number;
  csv: boolean;
  top: number;
  audit?: number;
}

const KINDS: ReadonlyArray<{ kind: UsageRankKind; title: string; column: string }> = [
  { kind: 'user', title: 'Users', column: 'user' },
  { kind: 'channel', title: 'Channels', column: 'channel' },
  { kind: 'model', title: 'Models', column: 'model' },
];

/**
 * `ofox-bot usage`: who spent what, in US dollars, from the usage records in Redis (the same
 * numbers `/usage` shows admins), as tables or CSV; `--audit` prints the audit trail. Returns the
 * exit code.
 */
export async function runUsageCommand(argv: readonly string[], config: RedisTopologyConfig & Pick<Config, 'REDIS_KEY_PREFIX'>, output: UsageOutput, options: UsageCommandOptions = {}): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    output.write(`${parsed}\n\n${USAGE_COMMAND_HELP}\n`);
    return 2;
  }
  const redis = options.redis ?? createRedisConnection(redisTopologyFromConfig(config), 'client');
  try {
    if (parsed.audit !== undefined) {
      const entries = await new AuditLog({ redis, prefix: config.REDIS_KEY_PREFIX }).recent({ limit: parsed.audit });
      output.write(entries.length === 0 ? 'No changes recorded.\n' : `${entries.map(formatAuditEntry).join('\n')}\n`);
      return 0;
    }
    const store = new UsageStore({ redis, prefix: config.REDIS_KEY_PREFIX, ...(options.now ? { now: options.now } : {}) });
    const tables = await Promise.all(KINDS.map(({ kind }) => store.top(kind, { days: parsed.days })));
    output.write(parsed.csv ? toCsv(tables.flat()) : toTables(tables, parsed, (options.now ?? Date.now)()));
    return 0;
  } catch (error) {
    output.write(`Could not read usage from Redis: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    if (!options.redis) redis.disconnect();
  }
}

function parseArgs(argv: readonly string[]): ParsedArgs | string {
  const parsed: ParsedArgs = { days: 7, csv: false, top: 20 };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++index];
    switch (flag) {
      case '--since': {
        const text = value() ?? '';
        const match = /^(\d+)d$/i.exec(text);
        const days = text === 'today' ? 1 : match ? Number(match[1]) : NaN;
        if (!Number.isInteger(days) || days < 1 || days > 90) return `--since wants a number of days such as 7d (1 to 90), not "${text}".`;
        parsed.days = days;
        break;
      }
      case '--csv':
        parsed.csv = true;
        break;
      case '--top': {
        const top = Number(value());
        if (!Number.isInteger(top) || top < 1) return '--top wants a whole number of rows.';
        parsed.top = top;
        break;
      }
      case '--audit': {
        const next = inline ?? argv[index + 1];
        if (next !== undefined && /^\d+$/.test(next)) {
          if (inline === undefined) index += 1;
          parsed.audit = Number(next);
        } else parsed.audit = 50;
        break;
      }
      default:
        return `Unknown option "${arg}".`;
    }
  }
  return parsed;
}

function toTables(tables: UsageRow[][], args: ParsedArgs, now: number): string {
  const from = new Date(now - (args.days - 1) * 86_400_000).toISOString().slice(0, 10);
  const users = tables[0] ?? [];
  const total = users.reduce((sum, row) => ({ requests: sum.requests + row.requests, cost: sum.cost + row.costNanoUsd }), { requests: 0, cost: 0 });
  const parts = [`Usage from ${from} to today (${args.days} ${args.days === 1 ? 'day' : 'days'}, UTC), costs in US dollars`, `Total: ${total.requests.toLocaleString('en-US')} answers, ${formatUsd(total.cost)}`];
  for (const [index, { title, column }] of KINDS.entries()) {
    const rows = (tables[index] ?? []).slice(0, args.top);
    parts.push('', title);
    if (rows.length === 0) {
      parts.push('  (none)');
      continue;
    }
    const header = ['platform', 'workspace', column, 'answers', 'tokens in', 'cached', 'tokens out', 'cost'];
    const body = rows.map((row) => [
      row.platform,
      row.workspaceId,
      row.id,
      row.requests.toLocaleString('en-US'),
      row.inputTokens.toLocaleString('en-US'),
      row.cachedInputTokens.toLocaleString('en-US'),
      row.outputTokens.toLocaleString('en-US'),
      formatUsd(row.costNanoUsd),
    ]);
    parts.push(...alignColumns([header, ...body], 3));
  }
  return `${parts.join('\n')}\n`;
}

/** Text columns left-aligned, numbers (from the fourth column on) right-aligned. */
function alignColumns(rows: string[][], firstNumeric: number): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, column) => (column >= firstNumeric ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd()}`);
}

function toCsv(rows: UsageRow[]): string {
  const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = ['kind,platform,workspace,id,answers,input_tokens,cached_input_tokens,output_tokens,cost_usd'];
  for (const row of rows) {
    lines.push(
      [row.kind, row.platform, row.workspaceId, row.id, row.requests, row.inputTokens, row.cachedInputTokens, row.outputTokens, nanoToUsd(row.costNanoUsd).toFixed(9)]
        .map((value) => quote(String(value)))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
