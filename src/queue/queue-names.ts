/** The one BullMQ queue every chat answer goes through. */
export const CHAT_QUEUE = 'chat';
