export type { ResolvedSettings, ScopedSettings, SettingsReader, SettingsScope } from './types.ts';
export {
  SettingsStore,
  PERSONA_MAX_CHARS,
  validateModel,
  validatePersona,
  type SettingsField,
  type SettingsLevel,
  type SettingsPatch,
  type SettingsStoreOptions,
} from './settings-store.ts';
export { SettingsValidationError } from './settings-validation-error.ts';
export { isImageModel, validateImageModel, type ListedModel } from './image-model.ts';
export { DEFAULT_REASONING_MODE, REASONING_MODES, isReasoningMode, validateReasoningMode, type ReasoningMode } from './reasoning-mode.ts';
