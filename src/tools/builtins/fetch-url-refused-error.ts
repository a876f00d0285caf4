/** The URL (or where it redirected, or what its name resolved to) is not one the bot may fetch. */
export class FetchUrlRefusedError extends Error {
  override name = 'FetchUrlRefusedError';
}
