import { z } from 'zod';

/**
 * Everything a worker needs to answer one request, and nothing secret: no tokens, no interaction
 * credentials. Versioned so a worker can refuse jobs written by a newer gateway.
 */

export const CHAT_JOB_VERSION = 1;

export const messageRefSchema = z.object({
  id: z.string().min(1),
  channelId: z.string().min(1),
  extra: z.record(z.string(), z.string()).optional(),
});

export const attachmentSchema = z.object({
  kind: z.enum(['image', 'text', 'file']),
  name: z.string(),
  url: z.string(),
  mediaType: z.string().optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
});

export const chatJobSchema = z.object({
  v: z.literal(CHAT_JOB_VERSION),
  /** The platform's id for the triggering event; also the BullMQ jobId, so redelivery dedupes. */
  eventId: z.string().min(1),
  platform: z.string().min(1),
  /** Discord guild id, Slack team id, or `dm`. */
  workspaceId: z.string().min(1),
  channelId: z.string().min(1),
  /** Discord thread channel id or Slack thread_ts the answer belongs to. */
  threadId: z.string().optional(),
  /** The message that triggered the answer (for reply chains). */
  messageId: z.string().optional(),
  /** What the trigger replies to; `null`: it replies to nothing (no chain to read); absent: unknown. */
  replyTo: z.string().nullable().optional(),
  userId: z.string().min(1),
  userName: z.string().optional(),
  prompt: z.string(),
  attachments: z.array(attachmentSchema).default([]),
  /** The message ingress posted (or the deferred reply); every retry edits this one. */
  placeholder: messageRefSchema.optional(),
  /** Continuation messages already posted for this answer, so a retried job edits them instead of posting again. */
  continuations: z.array(messageRefSchema).default([]),
  /** One-off model override (`/ask model:`); must still be a known model. */
  model: z.string().optional(),
  /** Answer visible only to the asker, where the platform supports it. */
  private: z.boolean().default(false),
  /** True when triggered by a slash command, so no reply-chain context is read. */
  fromCommand: z.boolean().default(false),
  createdAt: z.number().int(),
});

export type ChatJob = z.infer<typeof chatJobSchema>;
export type ChatJobInput = z.input<typeof chatJobSchema>;
export type Attachment = z.infer<typeof attachmentSchema>;

/** BullMQ job ids may not contain ':'; platform event ids sometimes do. */
export function jobIdFor(platform: string, eventId: string): string {
  return `${platform}-${eventId}`.replace(/:/g, '_');
}
