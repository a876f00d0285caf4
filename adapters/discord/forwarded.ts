/**
 * Forwarded messages: Discord sends a forward as a message with empty content whose
 * `message_snapshots` hold a copy of the original (content, attachments, embeds). The bot reads
 * each snapshot like quoted text, so a forwarded question or log reaches the model instead of
 * vanishing as an empty message.
 */

export interface SnapshotMessage {
  content?: string;
  attachments?: { filename: string }[];
  embeds?: { title?: string; description?: string }[];
}

export interface ForwardingMessage {
  content?: string;
  message_snapshots?: { message?: SnapshotMessage }[];
}

/** A snapshot's text as a Markdown quote under a "Forwarded message" line; '' when it has nothing to read. */
function snapshotText(snapshot: SnapshotMessage): string {
  const embeds = (snapshot.embeds ?? []).map((embed) => [embed.title, embed.description].filter((part) => part && part.trim() !== '').join('\n')).filter((text) => text !== '');
  const body = [snapshot.content ?? '', ...embeds].filter((text) => text.trim() !== '').join('\n');
  const files = (snapshot.attachments ?? []).map((file) => `[attached: ${file.filename}]`).join(' ');
  const text = [body, files].filter((part) => part !== '').join('\n');
  if (text === '') return '';
  const quoted = text
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
  return `Forwarded message:\n${quoted}`;
}

/** Every snapshot of a forward, quoted; '' for an ordinary message. */
export function forwardedText(message: ForwardingMessage): string {
  return (message.message_snapshots ?? [])
    .map((snapshot) => (snapshot.message ? snapshotText(snapshot.message) : ''))
    .filter((text) => text !== '')
    .join('\n\n');
}
