import type { ChatMessage, ContentPart } from '../llm/types.ts';

/** A rough token count that errs high: about 4 characters a token, one a token for CJK text. */
export function estimateTokens(text: string): number {
  let wide = 0;
  for (const character of text) if (character.codePointAt(0)! > 0x2e80) wide += 1;
  return Math.ceil((text.length - wide) / 4) + wide;
}

/** Vision models bill images by tiles; 800 is a fair middle for the budget. */
const IMAGE_TOKENS = 800;

function contentTokens(content: string | ContentPart[]): number {
  if (typeof content === 'string') return estimateTokens(content);
  return content.reduce((sum, part) => sum + (part.type === 'text' ? estimateTokens(part.text) : IMAGE_TOKENS), 0);
}

export function messageTokens(message: ChatMessage): number {
  const overhead = 4;
  switch (message.role) {
    case 'system':
      return overhead + estimateTokens(message.content);
    case 'user':
      return overhead + contentTokens(message.content);
    case 'assistant':
      return overhead + estimateTokens(message.content) + estimateTokens(JSON.stringify(message.toolCalls ?? []));
    case 'tool':
      return overhead + estimateTokens(message.content);
  }
}

/**
 * Keeps the newest history that fits beside the fixed parts (system prompt and the current
 * question), dropping whole messages from the oldest end, so the model always sees the question.
 */
export function fitHistory(history: ChatMessage[], fixedTokens: number, budgetTokens: number): ChatMessage[] {
  let remaining = budgetTokens - fixedTokens;
  const kept: ChatMessage[] = [];
  for (let index = history.length - 1; index >= 0; index -= 1) {
    const message = history[index]!;
    const cost = messageTokens(message);
    if (cost > remaining) break;
    remaining -= cost;
    kept.push(message);
  }
  kept.reverse();
  // A transcript must not open with the assistant for the Anthropic protocol.
  while (kept[0]?.role === 'assistant') kept.shift();
  return kept;
}
