import type { CommandInvocation, CommandReply } from './types.ts';
import { SettingsValidationError, type SettingsScope } from '../settings/index.ts';
import { describeChoices } from './closest-matches.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { MODEL_FORM, type ModelList } from './model-catalog.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const CLEAR_WORDS = new Set(['clear', 'reset', 'default', 'inherit']);

export async function modelCommand(
  command: CommandInvocation,
  deps: CommandServiceDeps,
  models: () => Promise<ModelList>,
): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, words } = parseArgs(command.args);
  const [wanted, ...extra] = words;

  if (wanted === undefined || wanted.toLowerCase() === 'list') return showModel(scope, deps, models, wanted !== undefined);
  if (extra.length > 0) return whisper('Give one model id, e.g. `model openai/gpt-4o`.');
  if (!command.isAdmin) return adminOnly('the model');

  if (CLEAR_WORDS.has(wanted.toLowerCase())) {
    await updateSettingsAudited(command, deps, level, { model: null });
    const resolved = await deps.settings.resolve(scope);
    return announce(`The model setting for ${levelName(level)} was cleared; this channel now uses \`${resolved.model ?? deps.defaultModel}\`.`);
  }

  const list = await models();
  let modelId = wanted;
  let note = '';
  if (list.ok) {
    const exact = list.ids.find((id) => id.toLowerCase() === wanted.toLowerCase());
    // "gpt-4o" is accepted when exactly one provider offers a model of that name.
    const byName = list.ids.filter((id) => id.slice(id.indexOf('/') + 1).toLowerCase() === wanted.toLowerCase());
    const match = exact ?? (byName.length === 1 ? byName[0] : undefined);
    if (!match) {
      return whisper(`Unknown model \`${wanted}\`. Available: ${describeChoices(wanted, list.ids)}.`);
    }
    modelId = match;
  } else {
    if (!MODEL_FORM.test(wanted)) {
      return whisper(`\`${wanted}\` doesn't look like a model id; use the form provider/name, e.g. \`openai/gpt-4o\`.`);
    }
    note = `\n_The model list couldn't be checked right now (${list.error}), so the name was not verified._`;
  }

  try {
    await updateSettingsAudited(command, deps, level, { model: modelId });
  } catch (error) {
    if (error instanceof SettingsValidationError) return whisper(error.message);
    throw error;
  }
  const resolved = await deps.settings.resolve(scope);
  const shadowed =
    level === 'workspace' && resolved.model !== modelId
      ? `\nThis channel keeps its own model, \`${resolved.model}\`; clear it with \`model clear\` to follow the workspace.`
      : '';
  return announce(`Model for ${levelName(level)} set to \`${modelId}\`.${shadowed}${note}`);
}

async function showModel(
  scope: SettingsScope,
  deps: CommandServiceDeps,
  models: () => Promise<ModelList>,
  withList: boolean,
): Promise<CommandReply> {
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const effective = channel.model ?? workspace.model ?? deps.defaultModel;
  const origin = channel.model ? 'set for this channel' : workspace.model ? 'the workspace setting' : "the bot's default";
  const lines = [`**Model:** \`${effective}\` (${origin}).`];
  if (channel.model && workspace.model) lines.push(`Workspace setting: \`${workspace.model}\`.`);
  if (withList) {
    const list = await models();
    lines.push(list.ok ? `Available: ${describeChoices(effective, list.ids, 40)}.` : `The model list couldn't be fetched right now (${list.error}).`);
  }
  lines.push('Admins change it with `model <provider/name>`, add `--workspace` for the whole workspace, or `model clear` to inherit.');
  return whisper(lines.join('\n'));
}
