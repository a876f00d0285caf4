import type { MessageRef } from '../render/surface.ts';

/** What a chat job returns to BullMQ (and so to `ask` and the tests): how the answer ended. */
export interface ChatAnswerResult {
  outcome: 'complete' | 'stopped' | 'error';
  chars: number;
  rounds: number;
  messages: MessageRef[];
  error?: string;
}
