import type { CommandInvocation, CommandReply } from './types.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import type { ModelList } from './model-catalog.ts';
import { modelSettingCommand, type ModelSetting } from './model-setting-command.ts';

/** The model answers are written with: any model OfoxAI lists. */
const ANSWER_MODEL: ModelSetting = {
  key: 'model',
  command: 'model',
  noun: 'model',
  example: 'openai/gpt-4o',
  verb: 'uses',
  purpose: '',
  choicesLabel: 'Available',
  fallback: (deps) => deps.defaultModel,
  choices: (list) => list.ids,
};

/** `model`: the channel's answer model, shown, set or cleared (`modelSettingCommand`). */
export function modelCommand(command: CommandInvocation, deps: CommandServiceDeps, models: () => Promise<ModelList>): Promise<CommandReply> {
  return modelSettingCommand(ANSWER_MODEL, command, deps, models);
}
