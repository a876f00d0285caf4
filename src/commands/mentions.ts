/**
 * An id from what people type or platforms send: Discord `<@123>`, `<@!123>`, `<@&123>`, `<#123>`;
 * Slack `<@U123|name>`, `<#C123|name>`, `<!subteam^S123|@team>`; or a bare id.
 */
export function extractId(text: string): string | undefined {
  const trimmed = text.trim();
  const wrapped = /^<(?:@[!&]?|#|!subteam\^)([A-Za-z0-9]+)(?:\|[^>]*)?>$/.exec(trimmed);
  if (wrapped?.[1]) return wrapped[1];
  return /^[A-Za-z0-9_.-]{1,64}$/.test(trimmed) ? trimmed : undefined;
}
