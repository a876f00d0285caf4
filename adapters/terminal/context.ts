import type { ConversationReader } from '../../src/worker/ports.ts';

/** A terminal question stands alone: there is no thread to read back. */
export const terminalConversation: ConversationReader = {
  async history() {
    return [];
  },
};
