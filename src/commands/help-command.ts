import type { CommandReply } from './types.ts';
import { PERSONA_MAX_CHARS } from '../settings/index.ts';
import { whisper } from './replies.ts';

/** The same words for both platforms: each adapter maps its slash-command shape onto these names. */
export function helpCommand(): CommandReply {
  return whisper(
    [
      '**Ask the bot** by mentioning it in a channel or thread; replies in its thread continue the conversation.',
      '',
      '**Commands** (on Discord pick the subcommand of the bot\'s slash command; on Slack type it after the bot\'s slash command):',
      '- `model` — show the model; `model <provider/name>` sets it, `model clear` inherits again, `model list` shows the choices.',
      `- \`persona\` — show the persona; \`persona <text>\` sets it (up to ${PERSONA_MAX_CHARS.toLocaleString('en-US')} characters), \`persona clear\` removes it.`,
      '- `tools` — list tools and whether they are on; `tools enable <name>`, `tools disable <name>`, `tools reset <name>`.',
      '- `usage` — your and this channel\'s requests and tokens over the last days.',
      '- `help` — this message.',
      '',
      'Settings apply to this channel; add `--workspace` to change the default for the whole workspace (a channel\'s own setting still wins).',
      'Anyone can view settings; only admins can change them.',
    ].join('\n'),
  );
}
