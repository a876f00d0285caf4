import type { FeedbackReader } from './feedback-store.ts';

/** At most this many model × persona rows in the summary. @defaultValue 10 */
const MAX_ROWS = 10;

/**
 * The feedback part of the admins' `usage` view: 👍 / 👎 per model and persona in one workspace on
 * the answers of the last `days` days, as Markdown lines ('' when nobody has voted).
 */
export async function feedbackSummary(
  reader: FeedbackReader,
  scope: { platform: string; workspaceId: string },
  options: { days?: number; /** Named in the heading, e.g. `the last 7 days`. */ period?: string } = {},
): Promise<string> {
  const rows = (await reader.totals(scope, options.days === undefined ? {} : { days: options.days })).filter((row) => row.up > 0 || row.down > 0);
  if (rows.length === 0) return '';
  const lines = rows.slice(0, MAX_ROWS).map((row) => `- \`${row.model}\` · ${row.persona === 'default' ? 'default persona' : `persona “${row.persona}”`}: 👍 ${row.up} · 👎 ${row.down}`);
  const more = rows.length > MAX_ROWS ? [`- …and ${rows.length - MAX_ROWS} more`] : [];
  return [options.period ? `**Feedback on answers, ${options.period}**` : '**Feedback on answers**', ...lines, ...more].join('\n');
}
