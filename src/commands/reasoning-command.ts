import type { CommandInvocation, CommandReply } from './types.ts';
import { DEFAULT_REASONING_MODE, REASONING_MODES, SettingsValidationError, type ReasoningMode, type SettingsScope } from '../settings/index.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const CLEAR_WORDS = new Set(['clear', 'reset', 'default', 'inherit']);

/** What each mode shows, in the words the command and the help use. */
export const REASONING_MODE_WORDS: Record<ReasoningMode, string> = {
  off: 'reasoning is not requested',
  status: '"thinking…" with the time so far',
  summary: 'the latest line of the reasoning, in small print, while it streams',
  full: '"thinking…" while it streams, then the whole reasoning as a text file beside the answer',
};

/** `reasoning` shows the channel's mode; `reasoning off|status|summary|full` (admins) sets it; `reasoning clear` inherits again. */
export async function reasoningCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, words } = parseArgs(command.args);
  const [wanted, ...extra] = words;

  if (wanted === undefined) return showReasoning(scope, deps);
  if (extra.length > 0) return whisper(`Give one mode: ${REASONING_MODES.map((mode) => `\`${mode}\``).join(', ')}.`);
  if (!command.isAdmin) return adminOnly('how reasoning is shown');

  if (CLEAR_WORDS.has(wanted.toLowerCase())) {
    await updateSettingsAudited(command, deps, level, { reasoning: null });
    const resolved = await deps.settings.resolve(scope);
    const mode = resolved.reasoning ?? DEFAULT_REASONING_MODE;
    return announce(`The reasoning setting for ${levelName(level)} was cleared; this channel now shows \`${mode}\` (${REASONING_MODE_WORDS[mode]}).`);
  }
  let stored: ReasoningMode | undefined;
  try {
    stored = (await updateSettingsAudited(command, deps, level, { reasoning: wanted as ReasoningMode })).reasoning;
  } catch (error) {
    if (error instanceof SettingsValidationError) return whisper(error.message);
    throw error;
  }
  const mode = stored ?? DEFAULT_REASONING_MODE;
  const resolved = (await deps.settings.resolve(scope)).reasoning ?? DEFAULT_REASONING_MODE;
  const shadowed =
    level === 'workspace' && resolved !== mode
      ? `\nThis channel keeps its own setting, \`${resolved}\`; clear it with \`reasoning clear\` to follow the workspace.`
      : '';
  return announce(`Reasoning for ${levelName(level)} is now \`${mode}\`: ${REASONING_MODE_WORDS[mode]}.${shadowed}`);
}

async function showReasoning(scope: SettingsScope, deps: CommandServiceDeps): Promise<CommandReply> {
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const mode = channel.reasoning ?? workspace.reasoning ?? DEFAULT_REASONING_MODE;
  const origin = channel.reasoning ? 'set for this channel' : workspace.reasoning ? 'the workspace setting' : 'the default';
  const choices = REASONING_MODES.map((choice) => `- \`${choice}\` — ${REASONING_MODE_WORDS[choice]}`).join('\n');
  return whisper(
    `**Reasoning**: \`${mode}\` (${origin}) — ${REASONING_MODE_WORDS[mode]}. It applies to models that can reason; others answer as before.\n${choices}\nAdmins change it with \`reasoning <mode>\`, add \`--workspace\` for the whole workspace, or \`reasoning clear\`.`,
  );
}
