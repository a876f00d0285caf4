import type { Job } from 'bullmq';
import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import { ProgressiveMessage, type ChannelPacer, type RenderWriteError } from '../render/index.ts';
import type { Surface } from '../render/surface.ts';

export interface AnswerMessageOptions {
  /** Where the messages the answer posts are written back. */
  job: Pick<Job, 'updateData'>;
  data: ChatJob;
  jobId: string;
  surface: Surface;
  pacer: ChannelPacer;
  log: Logger;
  /** The platform will not take this answer: the caller stops the model and the tools too. */
  onRefused: (error: RenderWriteError) => void;
}

/**
 * The answer's message on the platform, continuing the placeholder and any continuations an
 * earlier attempt posted. Every message it posts is written back to the job before more text goes
 * out, so a retried or recovered job edits these instead of posting a second answer.
 */
export function openAnswerMessage(options: AnswerMessageOptions): ProgressiveMessage {
  const { job, data, jobId } = options;
  let known = data;
  return new ProgressiveMessage({
    surface: options.surface,
    pacer: options.pacer,
    placeholder: data.placeholder,
    continuations: data.continuations,
    controls: { kind: 'stop', jobId },
    log: options.log,
    onRefused: options.onRefused,
    onMessageCreated: async (ref, index) => {
      if (index === 0) known = { ...known, placeholder: ref };
      else {
        // By position: a continuation recreated after deletion replaces the dead one in its place.
        const continuations = [...known.continuations];
        continuations[index - 1] = ref;
        known = { ...known, continuations };
      }
      await job.updateData(known);
    },
  });
}
