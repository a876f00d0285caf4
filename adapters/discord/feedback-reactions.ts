import type { Client, MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { Vote } from '../../src/feedback/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { IngressServices } from '../../src/ingress/index.ts';

/**
 * 👍 / 👎 feedback on Discord as reactions on the bot's answer. Reactions need no change to the
 * answer's message (buttons would: the surface owns its components) and are how people already
 * react on Discord. Each reaction is counted once per person per answer; switching from one to the
 * other replaces the vote, and removing a reaction withdraws it. Reactions on other messages are
 * ignored: the store only knows the answers' message ids.
 */

export const FEEDBACK_EMOJI: Readonly<Record<string, Vote>> = { '👍': 'up', '👎': 'down' };

type AnyReaction = MessageReaction | PartialMessageReaction;
type AnyUser = User | PartialUser;

export function registerFeedbackReactions(client: Client, services: IngressServices, log: Logger): void {
  const feedback = services.feedback;
  if (!feedback) return;
  const handle = async (reaction: AnyReaction, user: AnyUser, removed: boolean): Promise<void> => {
    const vote = reaction.emoji.name ? FEEDBACK_EMOJI[reaction.emoji.name] : undefined;
    if (!vote || user.id === client.user?.id || user.bot) return;
    const input = { platform: 'discord', messageId: reaction.message.id, userId: user.id, vote };
    if (removed) {
      if (await feedback.withdraw(input)) log.info({ messageId: input.messageId, user: user.id, vote }, 'discord: feedback withdrawn');
      return;
    }
    const result = await feedback.vote(input);
    if (result.status !== 'unknown') log.info({ jobId: result.jobId, user: user.id, vote, status: result.status }, 'discord: answer feedback');
  };
  client.on('messageReactionAdd', (reaction, user) => {
    handle(reaction, user, false).catch((error: unknown) => log.error({ err: error, messageId: reaction.message.id }, 'discord: feedback reaction failed'));
  });
  client.on('messageReactionRemove', (reaction, user) => {
    handle(reaction, user, true).catch((error: unknown) => log.error({ err: error, messageId: reaction.message.id }, 'discord: feedback reaction failed'));
  });
}
