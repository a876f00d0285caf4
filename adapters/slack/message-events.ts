import type { AllMiddlewareArgs } from '@slack/bolt';
import type { IngressContext, SlackFile } from './answer.ts';

/** The fields of Events API message-like events the ingress reads; everything else is ignored. */
export interface MessageEventShape {
  type?: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  files?: SlackFile[];
}

/** People's messages (plain, with files, broadcast thread replies); edits, joins and the like are not questions. */
export const ANSWERABLE_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/** The bot itself always; other bots when IGNORE_BOTS. */
export function fromBot(context: IngressContext, event: MessageEventShape, bolt: AllMiddlewareArgs['context']): boolean {
  if (event.user && event.user === bolt.botUserId) return true;
  if (event.bot_id && event.bot_id === bolt.botId) return true;
  return context.config.IGNORE_BOTS && (Boolean(event.bot_id) || event.subtype === 'bot_message');
}

export function teamOf(body: unknown, bolt: AllMiddlewareArgs['context']): string {
  const record = (body ?? {}) as { team_id?: unknown; team?: { id?: unknown } };
  if (typeof record.team_id === 'string') return record.team_id;
  if (typeof record.team?.id === 'string') return record.team.id;
  return bolt.teamId ?? 'unknown';
}
