import type { App } from '@slack/bolt';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import { guarded, isAdmin, type Answer, type IngressContext } from './answer.ts';
import { escapeMrkdwn, markdownToMrkdwn, neutralizeMentions } from './formatting.ts';
import { slackPacedWrite } from './paced-writes.ts';
import { slackErrorCode } from './web-client.ts';
import { slackPostBudgets } from './write-budgets.ts';

/**
 * The slash command (SLACK_COMMAND, `/ofox` by default) and its subcommands. Slack has no command
 * registration API for a single app; the command itself is declared in `manifest.yml`.
 */

export const SUBCOMMANDS = ['ask', 'model', 'image-model', 'persona', 'reasoning', 'tools', 'usage', 'budget', 'access', 'audit', 'help'] as const;

export type ParsedCommand = { name: 'ask'; prompt: string } | { name: CommandInvocation['name']; args: string };

/** `ask <prompt>`, `model [name]`, `image-model [name]`, `persona [text|clear]`, `reasoning [off|status|summary|full|clear]`, `tools [list|enable|disable name]`, `usage`, `budget`, `access`, `audit`, `help`. */
export function parseCommand(text: string): ParsedCommand {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { name: 'help', args: '' };
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  const word = (match?.[1] ?? '').toLowerCase();
  const rest = (match?.[2] ?? '').trim();
  switch (word) {
    case 'ask':
      return { name: 'ask', prompt: rest };
    case 'model':
    case 'image-model':
    case 'persona':
    case 'reasoning':
    case 'tools':
    case 'usage':
    case 'budget':
    case 'access':
    case 'audit':
    case 'help':
      return { name: word, args: rest };
    default:
      // `/ofox what is a monad?` reads as a question.
      return { name: 'ask', prompt: trimmed };
  }
}

/** The help text in Slack's own terms: the one slash command and its subcommands as typed. */
export function usageText(command: string): string {
  return [
    `*${command} ask <question>*: answer in a thread here (or mention me)`,
    `*${command} model [name|clear] [--workspace]*: show or set this channel's model`,
    `*${command} image-model [name|clear|list] [--workspace]*: show or set the model the image tool draws with here`,
    `*${command} persona [text|clear] [--workspace]*: show, set or clear the persona`,
    `*${command} reasoning [off|status|summary|full|clear] [--workspace]*: how a reasoning model's thinking shows here`,
    `*${command} tools [list|enable|disable|reset name] [--workspace]*: the tools I may use here`,
    `*${command} usage*: your spend today and this month in US dollars, against your limits`,
    `*${command} usage top [today|7d|30d]*: top users and channels (admins)`,
    `*${command} usage footer on|off*: show each answer's cost in its footer here (admins)`,
    `*${command} budget*: the limits here; admins: *budget set <user @x|everyone|channel|workspace> <daily|monthly> <$amount|none> [tokens]*, *budget reset …*`,
    `*${command} access*: who may use me here; admins: *access <allow|deny|approver> <user|group|channel> <ids>*, *access remove …*, *access dms on|off|reset* (add *--workspace* for the whole workspace)`,
    `*${command} audit [n]*: the latest settings, budget, access and approval changes (admins)`,
    `*${command} help*: this list`,
  ].join('\n');
}

/**
 * `SLACK_COMMAND`: acks at once, then runs the subcommand through the core (`runCommand`, with
 * isAdmin from SLACK_ADMIN_USER_IDS) and answers through response_url. `ask` posts the question
 * in the channel and answers in its thread like a mention.
 */
export function registerSlashCommand(app: App, context: IngressContext, answer: Answer): void {
  const { config, services, log } = context;
  app.command(config.SLACK_COMMAND, async ({ command, ack, respond, client }) => {
    await ack();
    await guarded(context, 'command', async () => {
      const parsed = parseCommand(command.text ?? '');
      if (parsed.name === 'ask') {
        if (parsed.prompt.length === 0) return void (await respond({ response_type: 'ephemeral', text: usageText(config.SLACK_COMMAND) }));
        let parentTs: string | undefined;
        try {
          const question = `*${escapeMrkdwn(neutralizeMentions(command.user_name))} asked:* ${markdownToMrkdwn(parsed.prompt)}`;
          // The question opens the answer's thread: a `first-text` post of the channel's and workspace's post budgets.
          const budgets = slackPostBudgets(command.team_id, command.channel_id);
          parentTs = (
            await slackPacedWrite({ budgets, writeClass: 'first-text', what: 'the question', blame: [budgets[0]!.key] }, () =>
              client.chat.postMessage({ channel: command.channel_id, text: question, unfurl_links: false }),
            )
          ).ts;
        } catch (error) {
          const code = slackErrorCode(error);
          log.warn({ code, channel: command.channel_id }, 'slack: could not post the question');
          const text = code === 'not_in_channel' || code === 'channel_not_found' ? 'I am not in this conversation yet: invite me first (`/invite @ofox`).' : 'Sorry, I could not post here.';
          return void (await respond({ response_type: 'ephemeral', text }));
        }
        if (!parentTs) return;
        // Slash commands have no event id; the trigger id is unique per invocation.
        await answer(client, { eventId: command.trigger_id, teamId: command.team_id, channel: command.channel_id, user: command.user_id, text: parsed.prompt, ts: parentTs, threadTs: parentTs, fromCommand: true });
        return;
      }
      try {
        const reply = await services.runCommand({
          platform: 'slack',
          workspaceId: command.team_id,
          channelId: command.channel_id,
          userId: command.user_id,
          isAdmin: isAdmin(context, command.user_id),
          name: parsed.name,
          args: parsed.args,
        });
        // An empty help reply means "in the platform's own words": the subcommands as typed here.
        const text = reply.text.trim().length === 0 && parsed.name === 'help' ? usageText(config.SLACK_COMMAND) : markdownToMrkdwn(reply.text);
        await respond({ response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', text });
      } catch (error) {
        log.error({ err: error, command: parsed.name }, 'slack: command failed');
        await respond({ response_type: 'ephemeral', text: 'Sorry, that command failed.' });
      }
    });
  });
}
