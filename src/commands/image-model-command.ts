import type { CommandInvocation, CommandReply } from './types.ts';
import { isImageModel, SettingsValidationError, validateImageModel, type SettingsScope } from '../settings/index.ts';
import { describeChoices } from './closest-matches.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { MODEL_FORM, type ModelList } from './model-catalog.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const CLEAR_WORDS = new Set(['clear', 'reset', 'default', 'inherit']);

/** The image models of a fetched list, sorted. */
export function imageModelIds(list: Extract<ModelList, { ok: true }>): string[] {
  return [...new Set(list.models.filter(isImageModel).map((model) => model.id))].sort();
}

/**
 * `image-model`: the model the `image` tool draws with in this channel, shown, set (admins, audited,
 * checked against the image models OfoxAI lists) or cleared — the way `model` does it for answers.
 */
export async function imageModelCommand(command: CommandInvocation, deps: CommandServiceDeps, models: () => Promise<ModelList>): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, words } = parseArgs(command.args);
  const [wanted, ...extra] = words;

  if (wanted === undefined || wanted.toLowerCase() === 'list') return showImageModel(scope, deps, models, wanted !== undefined);
  if (extra.length > 0) return whisper('Give one image model id, e.g. `image-model openai/gpt-image-2`.');
  if (!command.isAdmin) return adminOnly('the image model');

  if (CLEAR_WORDS.has(wanted.toLowerCase())) {
    await updateSettingsAudited(command, deps, level, { imageModel: null });
    const resolved = await deps.settings.resolve(scope);
    return announce(`The image model setting for ${levelName(level)} was cleared; this channel now draws with \`${resolved.imageModel ?? defaultOf(deps)}\`.`);
  }

  const list = await models();
  let modelId = wanted;
  let note = '';
  if (list.ok) {
    const images = imageModelIds(list);
    const exact = list.ids.find((id) => id.toLowerCase() === wanted.toLowerCase());
    // "gpt-image-2" is accepted when exactly one provider offers an image model of that name.
    const byName = images.filter((id) => id.slice(id.indexOf('/') + 1).toLowerCase() === wanted.toLowerCase());
    const match = exact ?? (byName.length === 1 ? byName[0] : undefined);
    if (!match) return whisper(`Unknown image model \`${wanted}\`. Image models: ${describeChoices(wanted, images)}.`);
    try {
      modelId = validateImageModel(match, list.models);
    } catch (error) {
      if (error instanceof SettingsValidationError) return whisper(`\`${match}\` does not draw images. Image models: ${describeChoices(wanted, images)}.`);
      throw error;
    }
  } else {
    if (!MODEL_FORM.test(wanted)) {
      return whisper(`\`${wanted}\` doesn't look like a model id; use the form provider/name, e.g. \`openai/gpt-image-2\`.`);
    }
    note = `\n_The model list couldn't be checked right now (${list.error}), so the name was not verified._`;
  }

  try {
    await updateSettingsAudited(command, deps, level, { imageModel: modelId });
  } catch (error) {
    if (error instanceof SettingsValidationError) return whisper(error.message);
    throw error;
  }
  const resolved = await deps.settings.resolve(scope);
  const shadowed =
    level === 'workspace' && resolved.imageModel !== modelId
      ? `\nThis channel keeps its own image model, \`${resolved.imageModel}\`; clear it with \`image-model clear\` to follow the workspace.`
      : '';
  return announce(`Image model for ${levelName(level)} set to \`${modelId}\`.${shadowed}${note}`);
}

function defaultOf(deps: CommandServiceDeps): string {
  return deps.defaultImageModel ?? '(none configured)';
}

async function showImageModel(scope: SettingsScope, deps: CommandServiceDeps, models: () => Promise<ModelList>, withList: boolean): Promise<CommandReply> {
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const effective = channel.imageModel ?? workspace.imageModel ?? defaultOf(deps);
  const origin = channel.imageModel ? 'set for this channel' : workspace.imageModel ? 'the workspace setting' : "the bot's default";
  const lines = [`**Image model:** \`${effective}\` (${origin}), used by the \`image\` tool.`];
  if (channel.imageModel && workspace.imageModel) lines.push(`Workspace setting: \`${workspace.imageModel}\`.`);
  if (withList) {
    const list = await models();
    lines.push(list.ok ? `Image models: ${describeChoices(effective, imageModelIds(list), 40)}.` : `The model list couldn't be fetched right now (${list.error}).`);
  }
  lines.push('Admins change it with `image-model <provider/name>`, add `--workspace` for the whole workspace, or `image-model clear` to inherit.');
  return whisper(lines.join('\n'));
}
