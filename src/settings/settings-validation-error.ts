/** A settings change was refused (persona too long, malformed model or tool name); the message says why. */
export class SettingsValidationError extends Error {
  override name = 'SettingsValidationError';
}
