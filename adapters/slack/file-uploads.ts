import type { WebClient } from '@slack/web-api';
import type { ChatJob } from '../../src/ingress/index.ts';
import type { FileUploader, UploadFile, UploadedFile } from '../../src/worker/ports.ts';
import { toSurfaceError } from './web-client.ts';

/**
 * Files into the answer's thread with `files.uploadV2` (the web client runs Slack's three steps:
 * files.getUploadURLExternal, the bytes to the returned URL, files.completeUploadExternal with the
 * channel and thread). The client does not retry (see ports.ts), so a timeout never shares twice;
 * the image tool's ledger covers a retried job.
 */
export class SlackFileUploader implements FileUploader {
  private readonly client: WebClient;
  constructor(client: WebClient) {
    this.client = client;
  }

  async upload(job: ChatJob, file: UploadFile, signal: AbortSignal): Promise<UploadedFile> {
    signal.throwIfAborted();
    // An answer only the asker sees cannot be followed by a file everyone sees.
    if (job.private) throw new Error('files cannot be shared in a private answer');
    const common = { file: file.bytes, filename: file.name, ...(file.title ? { title: file.title } : {}) };
    const upload = job.threadId ? this.client.files.uploadV2({ ...common, channel_id: job.channelId, thread_ts: job.threadId }) : this.client.files.uploadV2({ ...common, channel_id: job.channelId });
    const result = (await upload.catch((error: unknown) => {
      throw toSurfaceError(error);
    })) as { files?: Array<{ files?: Array<{ id?: string; name?: string; permalink?: string }> }> };
    const shared = result.files?.[0]?.files?.[0];
    if (!shared?.id) throw new Error('Slack did not confirm the upload');
    return { id: shared.id, name: shared.name ?? file.name, ...(shared.permalink ? { url: shared.permalink } : {}) };
  }
}
