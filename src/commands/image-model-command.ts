import type { CommandInvocation, CommandReply } from './types.ts';
import { isImageModel, validateImageModel } from '../settings/index.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import type { ModelList } from './model-catalog.ts';
import { modelSettingCommand, type ModelSetting } from './model-setting-command.ts';

/** The image models of a fetched list, sorted. */
export function imageModelIds(list: Extract<ModelList, { ok: true }>): string[] {
  return [...new Set(list.models.filter(isImageModel).map((model) => model.id))].sort();
}

/** The model the `image` tool draws with: only models the list says output images. */
const IMAGE_MODEL: ModelSetting = {
  key: 'imageModel',
  command: 'image-model',
  noun: 'image model',
  example: 'openai/gpt-image-2',
  verb: 'draws with',
  purpose: ', used by the `image` tool',
  choicesLabel: 'Image models',
  fallback: (deps) => deps.defaultImageModel ?? '(none configured)',
  choices: imageModelIds,
  validate: { check: (id, list) => validateImageModel(id, list.models), refusal: 'does not draw images' },
};

/**
 * `image-model`: the model the `image` tool draws with in this channel, shown, set (admins, audited,
 * checked against the image models OfoxAI lists) or cleared — the way `model` does it for answers.
 */
export function imageModelCommand(command: CommandInvocation, deps: CommandServiceDeps, models: () => Promise<ModelList>): Promise<CommandReply> {
  return modelSettingCommand(IMAGE_MODEL, command, deps, models);
}
