import type { ContentPart, ChatMessage } from '../llm/types.ts';

/** Re-exported for adapters, which may not import `src/llm`. */
export type { ContentPart, ChatMessage } from '../llm/types.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { MessageRef, Surface } from '../render/surface.ts';
import type { ApprovalOutcome, ApprovalPrompt } from '../tools/approval/approval-types.ts';

export type { ApprovalOutcome, ApprovalPrompt } from '../tools/approval/approval-types.ts';

/**
 * What a platform adapter hands the worker. The composition root (`src/cli/roles.ts`) builds one
 * per platform and the worker picks it by `job.platform`, so the worker never imports an adapter.
 */

export interface ConversationReader {
  /**
   * Earlier turns of this conversation (reply chain and/or thread), oldest first, excluding the
   * triggering message and the bot's placeholder. The worker trims them to the token budget.
   */
  history(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ChatMessage[]>;
  /** The triggering message's attachments: images as URLs, text files inlined up to the cap. */
  attachments?(job: ChatJob, options: { signal: AbortSignal; maxTextBytes: number }): Promise<ContentPart[]>;
}

/** Posts Approve / Deny buttons and later shows the outcome; clicks arrive through the adapter's ingress. */
export interface ApprovalSurface {
  post(job: ChatJob, prompt: ApprovalPrompt): Promise<MessageRef>;
  resolve(ref: MessageRef, prompt: ApprovalPrompt, outcome: ApprovalOutcome, decidedBy?: string): Promise<void>;
}

/** A file a tool made, to be shown in the answer's thread. */
export interface UploadFile {
  name: string;
  bytes: Buffer;
  mediaType: string;
  /** Shown with the file where the platform has a title. */
  title?: string;
}

/** What the platform calls the uploaded file, for the tool's result (and a retried job's ledger). */
export interface UploadedFile {
  id: string;
  name: string;
  /** A permalink when the platform gives one. */
  url?: string;
}

/** Uploads a file into the job's thread (Discord: a message with an attachment; Slack: files.uploadV2). */
export interface FileUploader {
  upload(job: ChatJob, file: UploadFile, signal: AbortSignal): Promise<UploadedFile>;
}

export interface PlatformPorts {
  readonly platform: string;
  surfaceFor(job: ChatJob): Surface;
  readonly conversation: ConversationReader;
  readonly approvals?: ApprovalSurface;
  /** Tools that make files (the image tool) upload through this; absent: they say so. */
  readonly files?: FileUploader;
}
