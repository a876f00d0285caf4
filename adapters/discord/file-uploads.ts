import { createHash } from 'node:crypto';
import { Routes, type REST } from 'discord.js';
import type { ChatJob } from '../../src/ingress/index.ts';
import type { FileUploader, UploadFile, UploadedFile } from '../../src/worker/ports.ts';
import { channelCreateBudgets, discordPacedWrite, type DiscordWritePacing } from './paced-writes.ts';
import { toSurfaceError } from './rest.ts';

/**
 * Files into the answer's channel or thread: a message with one attachment, sent as multipart
 * through the REST client (which waits out Discord's rate-limit buckets before sending). The
 * message carries an enforced nonce derived from the job and file name, so a send retried within
 * Discord's nonce window returns the first message instead of posting a second one.
 *
 * The message is a create in the channel, so it draws from the channel's message bucket like the
 * answer's writes (`paced-writes.ts`), as a `final` write: a complete message, which the tool (not
 * a person watching text appear) waits for.
 */
export class DiscordFileUploader implements FileUploader {
  private readonly rest: REST;
  private readonly pacing: DiscordWritePacing;
  constructor(rest: REST, pacing: DiscordWritePacing) {
    this.rest = rest;
    this.pacing = pacing;
  }

  async upload(job: ChatJob, file: UploadFile, signal: AbortSignal): Promise<UploadedFile> {
    // An answer only the asker sees cannot be followed by a file everyone sees.
    if (job.private) throw new Error('files cannot be shared in a private answer');
    const channelId = job.threadId ?? job.channelId;
    const nonce = createHash('sha256').update(`${job.platform}:${job.eventId}:${file.name}`).digest('hex').slice(0, 25);
    // Images from the image tool; anything else (the reasoning text file) is a document.
    const icon = file.mediaType.startsWith('image/') ? '🖼️' : '📄';
    const payload = {
      content: `${icon}${file.title ? ` ${file.title.replace(/\s+/g, ' ').slice(0, 180)}` : ''}`,
      allowed_mentions: { parse: [] },
      attachments: [{ id: 0, filename: file.name }],
      nonce,
      enforce_nonce: true,
    };
    const form = new FormData();
    form.append('files[0]', new Blob([new Uint8Array(file.bytes)], { type: file.mediaType }), file.name);
    form.append('payload_json', JSON.stringify(payload));
    // The REST client's own `files` option builds Node's FormData but sends it through its bundled
    // undici, which refuses it; the platform's Response serializes the form into bytes instead.
    const encoded = new Response(form);
    const body = new Uint8Array(await encoded.arrayBuffer());
    // A 429 becomes the renderer's SurfaceRateLimitedError, which holds the channel off and is retried (the nonce keeps it single).
    const send = () =>
      this.rest
        .post(Routes.channelMessages(channelId), {
          body,
          passThroughBody: true,
          headers: { 'Content-Type': encoded.headers.get('content-type') ?? 'multipart/form-data' },
          signal,
        })
        .catch((error: unknown) => {
          throw toSurfaceError(error);
        });
    const message = (await discordPacedWrite(this.pacing, { budgets: channelCreateBudgets(this.pacing, channelId), writeClass: 'final', what: 'the file', signal }, send)) as {
      id: string;
      attachments?: Array<{ id: string; filename: string; url?: string }>;
    };
    const attachment = message.attachments?.[0];
    return { id: attachment?.id ?? message.id, name: attachment?.filename ?? file.name, ...(attachment?.url ? { url: attachment.url } : {}) };
  }
}
