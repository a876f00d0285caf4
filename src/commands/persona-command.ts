import type { CommandInvocation, CommandReply } from './types.ts';
import { PERSONA_MAX_CHARS, SettingsValidationError, type SettingsScope } from '../settings/index.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

export async function personaCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, rest } = parseArgs(command.args);

  if (rest === '') return showPersona(scope, deps);
  if (!command.isAdmin) return adminOnly('the persona');

  if (/^(?:clear|reset|none)$/i.test(rest)) {
    await updateSettingsAudited(command, deps, level, { persona: null });
    const resolved = await deps.settings.resolve(scope);
    const now = resolved.persona ? 'this channel now uses the workspace persona' : 'the bot now answers without a persona';
    return announce(`The persona for ${levelName(level)} was cleared; ${now}.`);
  }

  try {
    const stored = await updateSettingsAudited(command, deps, level, { persona: rest });
    return announce(`Persona for ${levelName(level)} updated (${(stored.persona ?? '').length} characters):\n${quote(stored.persona ?? '')}`);
  } catch (error) {
    if (error instanceof SettingsValidationError) return whisper(error.message);
    throw error;
  }
}

async function showPersona(scope: SettingsScope, deps: CommandServiceDeps): Promise<CommandReply> {
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const persona = channel.persona ?? workspace.persona;
  const help = `Admins set it with \`persona <text>\` (up to ${PERSONA_MAX_CHARS.toLocaleString('en-US')} characters), add \`--workspace\` for the whole workspace, or \`persona clear\`.`;
  if (!persona) return whisper(`No persona is set; the bot uses its default instructions.\n${help}`);
  const origin = channel.persona ? 'set for this channel' : 'the workspace setting';
  return whisper(`**Persona** (${origin}):\n${quote(persona)}\n${help}`);
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
