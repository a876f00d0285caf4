import { UnrecoverableError } from 'bullmq';
import type { Logger } from '../observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../queue/chat-job.ts';
import type { PlatformPorts } from './ports.ts';

export interface JobIntake {
  data: ChatJob;
  ports: PlatformPorts;
  /** Carries the job, platform and channel on every line. */
  log: Logger;
}

/**
 * The first step of an answer: the job's data checked against the schema and its platform's ports
 * found. A job that fails either can never succeed, so it fails for good (never retried).
 */
export function readJob(jobId: string, raw: unknown, platforms: ReadonlyMap<string, PlatformPorts>, log: Logger): JobIntake {
  const parsed = chatJobSchema.safeParse(raw);
  if (!parsed.success) {
    log.error({ jobId, issues: parsed.error.issues.slice(0, 5) }, 'job data is invalid; dropping it');
    throw new UnrecoverableError('invalid job data');
  }
  const data = parsed.data;
  const jobLog = log.child({ jobId, platform: data.platform, channelId: data.channelId });
  const ports = platforms.get(data.platform);
  if (!ports) {
    jobLog.error('no adapter for this platform in this worker');
    throw new UnrecoverableError(`no adapter for platform ${data.platform}`);
  }
  return { data, ports, log: jobLog };
}
