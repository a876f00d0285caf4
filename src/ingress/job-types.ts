/**
 * The job's shape and id, for adapters, which may not import `src/queue`: surfaces and context
 * readers receive a `ChatJob`, and Stop buttons and idempotency nonces name the job id.
 */
export type { ChatJob } from '../queue/chat-job.ts';
export { jobIdFor } from '../queue/chat-job.ts';
