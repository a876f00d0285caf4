const BEARER = /(bearer\s+)[^\s"',;]+/gi;

/**
 * Removes the API key (and anything shaped like a bearer credential) from text that may end up in
 * a log line or a chat message. Upstream errors sometimes echo the key back ("Incorrect API key
 * provided: sk-…"), so every message is scrubbed before it leaves the client.
 */
export function scrubSecret(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  return result.replace(BEARER, '$1[redacted]');
}
