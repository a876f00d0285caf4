
/**
 * Is Redis answering right now, as ingress needs to know it before it starts a request? A
 * connection's status is read in memory, so the question costs nothing and never hangs: ioredis
 * leaves `ready` the moment the socket closes and returns to it only after a reconnect and its
 * ready check.
 */
export type RedisAvailability = () => boolean;

/** Available while every named connection is `ready`. */
export function connectionsReady(...connections: Array<{ readonly status: string }>): RedisAvailability {
  return () => connections.every((connection) => connection.status === 'ready');
}

/** The errors ioredis raises when it cannot reach Redis (not a refused command or a bad reply). */
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError']);
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_ERROR_MESSAGES = [/Connection is closed/i, /Stream isn't writeable/i, /enableOfflineQueue/i, /Reached the max retries per request/i, /Command timed out/i];

/** True when `error` says Redis could not be reached, so the request should wait instead of failing. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (CONNECTION_ERROR_NAMES.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return CONNECTION_ERROR_MESSAGES.some((pattern) => pattern.test(error.message));
}
