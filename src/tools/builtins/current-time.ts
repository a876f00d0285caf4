import { z } from 'zod';
import { defineTool, type Tool } from '../tool.ts';

export interface CurrentTimeOptions {
  /** The clock, injectable for tests. @defaultValue () => new Date() */
  now?: () => Date;
}

/** `current_time`: the date and time in a zone — the model has no clock of its own. */
export function currentTimeTool(options: CurrentTimeOptions = {}): Tool {
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: 'current_time',
    description:
      'The current date and time. Pass an IANA time zone such as "Europe/Paris" or "America/New_York"; without one it uses the asker\'s zone when known, else UTC.',
    input: z.object({
      timeZone: z.string().min(1).max(64).optional().describe('IANA time zone name, e.g. "Asia/Tokyo"'),
    }),
    async run(input, context) {
      const timeZone = input.timeZone ?? context.timeZone ?? 'UTC';
      return describeTime(now(), timeZone);
    },
  });
}

export function describeTime(date: Date, timeZone: string): string {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
  } catch {
    throw new Error(`unknown time zone "${timeZone}"; use an IANA name such as "UTC", "Europe/Berlin" or "America/Los_Angeles"`);
  }
  const parts = Object.fromEntries(formatter.formatToParts(date).map((part) => [part.type, part.value]));
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : (parts.timeZoneName ?? '').replace('GMT', '');
  const zoneName = formatter.resolvedOptions().timeZone;
  return [
    `${parts.weekday}, ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    `time zone: ${zoneName} (UTC${offset})`,
    `ISO 8601: ${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`,
    `Unix time: ${Math.floor(date.getTime() / 1000)}`,
  ].join('\n');
}
