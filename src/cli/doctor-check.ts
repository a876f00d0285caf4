export type { DoctorCheck } from '../runtime/platform.ts';

/** Why a request failed, in one line: `fetch failed` says nothing, its cause does. */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}
