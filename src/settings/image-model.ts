import { SettingsValidationError } from './settings-validation-error.ts';
import { validateModel } from './settings-store.ts';

/** What the image-model check needs of a model list entry (`ModelInfo` fits). */
export interface ListedModel {
  id: string;
  /** From the list's output modalities; absent when the list does not say. */
  outputsImages?: boolean;
}

/**
 * Names of image models, for lists that do not say what a model outputs. The gateway's own
 * `output_modalities` wins whenever it is there.
 */
const IMAGE_MODEL_NAME = /image|dall-e|imagen|flux|stable-diffusion|seedream|recraft|ideogram/i;

/** Whether a listed model draws images: by the list's output modalities, else by its name. */
export function isImageModel(model: ListedModel): boolean {
  return model.outputsImages ?? IMAGE_MODEL_NAME.test(model.id);
}

/**
 * A channel's `imageModel` must be an image model OfoxAI lists: the `image-model` command passes
 * the list it fetched, then stores the result with `settings.update(scope, level, { imageModel })`.
 */
export function validateImageModel(model: string, known: readonly ListedModel[]): string {
  const id = validateModel(model);
  const listed = known.find((candidate) => candidate.id === id);
  if (!listed) {
    throw new SettingsValidationError(`"${id}" is not in OfoxAI's model list; choose an image model it lists, e.g. openai/gpt-image-2`);
  }
  if (!isImageModel(listed)) {
    throw new SettingsValidationError(`"${id}" is not an image model (it does not output images); choose one that does, e.g. openai/gpt-image-2`);
  }
  return id;
}
