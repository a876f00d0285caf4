import type { CommandReply } from './types.ts';
import { PERSONA_MAX_CHARS } from '../settings/index.ts';
import { whisper } from './replies.ts';

/**
 * The platform-neutral words, unless the platform words its own help (`helpFor`): a text, or ''
 * to let the adapter answer with its own list (Slack shows its subcommands as typed).
 */
export function helpCommand(platformText?: string): CommandReply {
  if (platformText !== undefined) return whisper(platformText);
  return whisper(
    [
      '**Ask the bot** by mentioning it in a channel or thread; replies in its thread continue the conversation.',
      '',
      '**Commands** (on Discord pick the subcommand of the bot\'s slash command; on Slack type it after the bot\'s slash command):',
      '- `model` — show the model; `model <provider/name>` sets it, `model clear` inherits again, `model list` shows the choices.',
      '- `image-model` — show the `image` tool\'s model; `image-model <provider/name>` sets it (image models only), `image-model clear` inherits again, `image-model list` shows the choices.',
      `- \`persona\` — show the persona; \`persona <text>\` sets it (up to ${PERSONA_MAX_CHARS.toLocaleString('en-US')} characters), \`persona clear\` removes it.`,
      '- `reasoning` — how a reasoning model\'s thinking shows: `reasoning off|status|summary|full` (default `status`: "thinking…" and the time; `summary`: its latest line; `full`: also the whole reasoning as a file), `reasoning clear` inherits again.',
      '- `tools` — list tools and whether they are on; `tools enable <name>`, `tools disable <name>`, `tools reset <name>`.',
      '- `usage` — your spend today and this month in US dollars, against your limits; admins: `usage top [today|7d|30d]`, `usage footer on|off` (show each answer\'s cost).',
      '- `budget` — the spending limits here; admins: `budget set <user @x|everyone|channel|workspace> <daily|monthly> <$amount|none> [tokens]`, `budget reset …`.',
      '- `access` — who may use the bot here; admins: `access <allow|deny|approver> <user|group|channel> <ids>`, `access remove …`, `access dms on|off|reset`.',
      '- `audit` — admins: the latest settings, budget, access and approval changes.',
      '- `help` — this message.',
      '',
      'Settings apply to this channel; add `--workspace` to change the default for the whole workspace (a channel\'s own setting still wins).',
      'Anyone can view settings; only admins can change them.',
    ].join('\n'),
  );
}
