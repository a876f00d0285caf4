import type { WebClient } from '@slack/web-api';
import type { ChatJob } from '../../src/ingress/index.ts';
import { pacedWrite } from '../../src/render/paced-write.ts';
import type { WritePacer } from '../../src/render/write-budget.ts';
import type { FileUploader, UploadFile, UploadedFile } from '../../src/worker/ports.ts';
import { toSurfaceError } from './web-client.ts';
import { slackFileUploadBudgets } from './write-budgets.ts';

/**
 * Files into the answer's thread with `files.uploadV2` (the web client runs Slack's three steps:
 * files.getUploadURLExternal, the bytes to the returned URL, files.completeUploadExternal with the
 * channel and thread). The client does not retry (see ports.ts), so a timeout never shares twice;
 * the image tool's ledger covers a retried job.
 *
 * The upload draws from its budgets (`slackFileUploadBudgets`) through the shared pacer, as a
 * `final` write: a complete message the tool waits for. Slack's 429 does not say which of the
 * steps it refused, so it holds off all of them (a step refused left nothing shared: retrying the
 * whole upload never shows the file twice).
 */
export class SlackFileUploader implements FileUploader {
  private readonly client: WebClient;
  /** The process's shared pacer, looked up per upload (shared after the ports are built). */
  private readonly pacer: () => WritePacer | undefined;
  constructor(client: WebClient, pacer: () => WritePacer | undefined) {
    this.client = client;
    this.pacer = pacer;
  }

  async upload(job: ChatJob, file: UploadFile, signal: AbortSignal): Promise<UploadedFile> {
    signal.throwIfAborted();
    // An answer only the asker sees cannot be followed by a file everyone sees.
    if (job.private) throw new Error('files cannot be shared in a private answer');
    const common = { file: file.bytes, filename: file.name, ...(file.title ? { title: file.title } : {}) };
    const upload = () =>
      (job.threadId ? this.client.files.uploadV2({ ...common, channel_id: job.channelId, thread_ts: job.threadId }) : this.client.files.uploadV2({ ...common, channel_id: job.channelId })).catch(
        (error: unknown) => {
          throw toSurfaceError(error);
        },
      );
    const budgets = slackFileUploadBudgets(job.workspaceId, job.channelId);
    const result = (await pacedWrite({ pacer: this.pacer(), budgets, writeClass: 'final', what: 'the file', signal }, upload)) as { files?: Array<{ files?: Array<{ id?: string; name?: string; permalink?: string }> }> };
    const shared = result.files?.[0]?.files?.[0];
    if (!shared?.id) throw new Error('Slack did not confirm the upload');
    return { id: shared.id, name: shared.name ?? file.name, ...(shared.permalink ? { url: shared.permalink } : {}) };
  }
}
