/** The slice of a pino logger the renderer uses; a pino `Logger` fits as is. */
export interface RenderLog {
  warn(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
}

export const silentLog: RenderLog = {
  warn: () => {},
  info: () => {},
};

/** A readable one-liner for any thrown value, for log details. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
