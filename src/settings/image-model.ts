import { SettingsValidationError } from './settings-validation-error.ts';
import { validateModel } from './settings-store.ts';

/**
 * A channel's `imageModel` must be a model OfoxAI lists: the settings command passes the list it
 * already fetched for `model` (`llm.listModels()`), then stores the result with
 * `settings.update(scope, level, { imageModel })`.
 */
export function validateImageModel(model: string, known: readonly { id: string }[]): string {
  const id = validateModel(model);
  if (!known.some((candidate) => candidate.id === id)) {
    throw new SettingsValidationError(`"${id}" is not in OfoxAI's model list; choose an image model it lists, e.g. openai/gpt-image-2`);
  }
  return id;
}
