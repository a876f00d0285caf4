import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { FileUploader, UploadedFile } from './ports.ts';

/** The file `full` reasoning arrives in; one per answer. */
export const REASONING_FILE_NAME = 'reasoning.txt';
export const REASONING_FILE_TITLE = 'Reasoning';

/**
 * Which answers already delivered their reasoning file, so a job run again after a worker crash
 * (the file sent, the job not marked done) does not send a second one. Discord's message nonce
 * covers a retried request within minutes; this covers a retried job.
 */
export interface ReasoningFileLedger {
  find(jobId: string): Promise<UploadedFile | undefined>;
  record(jobId: string, file: UploadedFile): Promise<void>;
}

export class RedisReasoningFileLedger implements ReasoningFileLedger {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  /** `ttlSeconds` outlives any job's retries. @defaultValue one day */
  constructor(options: { redis: Redis | Cluster; prefix: string; ttlSeconds?: number }) {
    this.redis = options.redis;
    this.prefix = `${options.prefix}:reasoning-files`;
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
  }

  async find(jobId: string): Promise<UploadedFile | undefined> {
    const stored = await this.redis.get(`${this.prefix}:${jobId}`);
    return stored ? (JSON.parse(stored) as UploadedFile) : undefined;
  }

  async record(jobId: string, file: UploadedFile): Promise<void> {
    await this.redis.set(`${this.prefix}:${jobId}`, JSON.stringify(file), 'EX', this.ttlSeconds);
  }
}

export interface ReasoningFileInput {
  job: ChatJob;
  jobId: string;
  /** Every round's reasoning; nothing is sent when it is blank. */
  reasoning: string;
  files: FileUploader | undefined;
  ledger: ReasoningFileLedger | undefined;
  signal: AbortSignal;
  log: Logger;
}

/**
 * `full` mode's last step: the reasoning as a text file in the answer's thread, after the answer,
 * so the answer itself stays free of it. Never throws: the answer is already complete, so a
 * failure is one log line (a private answer, which no file may follow, says so too).
 */
export async function deliverReasoningFile(input: ReasoningFileInput): Promise<UploadedFile | undefined> {
  const { job, jobId, log } = input;
  if (input.reasoning.trim() === '') return undefined;
  if (!input.files) {
    log.info({ platform: job.platform }, 'reasoning file not sent: this platform takes no files');
    return undefined;
  }
  try {
    const earlier = await input.ledger?.find(jobId);
    if (earlier) return earlier;
    const bytes = Buffer.from(`${input.reasoning.trim()}\n`, 'utf8');
    const file = await input.files.upload(job, { name: REASONING_FILE_NAME, bytes, mediaType: 'text/plain', title: REASONING_FILE_TITLE }, input.signal);
    await input.ledger?.record(jobId, file);
    return file;
  } catch (error) {
    log.warn({ err: error, chars: input.reasoning.length }, 'reasoning file not sent');
    return undefined;
  }
}
