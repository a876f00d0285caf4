import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { ToolUploadedFile } from '../tool.ts';

/**
 * Which files the image tool already uploaded for a job, so a job retried after a worker crash
 * (the upload done, the answer not) shows the earlier file instead of generating and uploading
 * again. Recorded under the tool call id, and under the prompt too: a retried job asks the model
 * again, which names its tool call anew but usually repeats the prompt.
 */

export interface UploadLedger {
  find(jobId: string, callId: string | undefined, prompt: string): Promise<ToolUploadedFile[] | undefined>;
  record(jobId: string, callId: string | undefined, prompt: string, files: ToolUploadedFile[]): Promise<void>;
}

export const DEFAULTS = {
  /** Longer than any job's retries. @defaultValue one day */
  ttlSeconds: 86_400,
};

function promptKey(prompt: string): string {
  return createHash('sha256').update(prompt.trim().replace(/\s+/g, ' ').toLowerCase()).digest('hex').slice(0, 32);
}

export class RedisUploadLedger implements UploadLedger {
  private readonly redis: Redis | Cluster | Cluster;
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor(options: { redis: Redis | Cluster; prefix: string; ttlSeconds?: number }) {
    this.redis = options.redis;
    this.prefix = `${options.prefix}:tool-uploads`;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULTS.ttlSeconds;
  }

  private keys(jobId: string, callId: string | undefined, prompt: string): string[] {
    return [...(callId ? [`${this.prefix}:${jobId}:call:${callId}`] : []), `${this.prefix}:${jobId}:prompt:${promptKey(prompt)}`];
  }

  async find(jobId: string, callId: string | undefined, prompt: string): Promise<ToolUploadedFile[] | undefined> {
    for (const key of this.keys(jobId, callId, prompt)) {
      const stored = await this.redis.get(key);
      if (stored) return JSON.parse(stored) as ToolUploadedFile[];
    }
    return undefined;
  }

  async record(jobId: string, callId: string | undefined, prompt: string, files: ToolUploadedFile[]): Promise<void> {
    const value = JSON.stringify(files);
    const pipeline = this.redis.multi();
    for (const key of this.keys(jobId, callId, prompt)) pipeline.set(key, value, 'EX', this.ttlSeconds);
    await pipeline.exec();
  }
}
