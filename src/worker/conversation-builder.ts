import type { ChatMessage, ContentPart } from '../llm/types.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { PlatformPorts } from './ports.ts';
import { estimateTokens, fitHistory, messageTokens } from './context-window.ts';

export interface ConversationOptions {
  persona?: string;
  tokenBudget: number;
  attachmentTextMaxBytes: number;
  /** @defaultValue 50: the reader fetches at most this many earlier messages. */
  maxHistoryMessages?: number;
  now?: Date;
}

function defaultPersona(platform: string, now: Date): string {
  return [
    `You are ofox-bot, a helpful assistant shared by a team in ${platform === 'terminal' ? 'a terminal' : `a ${platform} workspace`}.`,
    'Answer in concise Markdown. Several people may speak in one conversation; their names precede their words.',
    `Today is ${now.toISOString().slice(0, 10)}.`,
  ].join(' ');
}

/** System prompt, the conversation read back from the platform (trimmed to budget), then the question. */
export async function buildConversation(job: ChatJob, ports: PlatformPorts, signal: AbortSignal, options: ConversationOptions): Promise<ChatMessage[]> {
  const now = options.now ?? new Date();
  const system: ChatMessage = { role: 'system', content: options.persona?.trim() ? options.persona : defaultPersona(job.platform, now) };

  const attachments: ContentPart[] =
    job.attachments.length > 0 && ports.conversation.attachments
      ? await ports.conversation.attachments(job, { signal, maxTextBytes: options.attachmentTextMaxBytes })
      : [];
  const promptText = job.prompt.trim() || (attachments.length > 0 ? '(see the attached files)' : '(empty message)');
  const question = withSpeaker({
    role: 'user',
    content: attachments.length > 0 ? [{ type: 'text', text: promptText }, ...attachments] : promptText,
    ...(job.userName ? { name: job.userName } : {}),
  });

  const history = job.fromCommand
    ? []
    : (await ports.conversation.history(job, { signal, maxMessages: options.maxHistoryMessages ?? 50 })).map(withSpeaker);
  const fixed = messageTokens(system) + messageTokens(question) + estimateTokens(' ');
  return [system, ...fitHistory(history, fixed, options.tokenBudget), question];
}

/**
 * Speaker names go into the text: OpenAI's `name` field refuses spaces and most scripts, and the
 * Anthropic protocol has no such field, yet the model must know who said what in a shared thread.
 */
function withSpeaker(message: ChatMessage): ChatMessage {
  if (message.role !== 'user' || !message.name) return message;
  const label = `${message.name}: `;
  const content =
    typeof message.content === 'string'
      ? label + message.content
      : message.content.map((part, index) => (index === 0 && part.type === 'text' ? { ...part, text: label + part.text } : part));
  return { role: 'user', content };
}
