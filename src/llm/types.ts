/**
 * The provider-neutral vocabulary of the OfoxAI client. No wire JSON of either protocol leaves
 * `src/llm`: callers build a `ChatRequest` and switch on `LlmEvent.type`.
 */

export type ContentPart =
  | { type: 'text'; text: string }
  /** `url` is an https URL or a `data:` URL (base64). */
  | { type: 'image'; url: string; mediaType?: string };

/** A tool call the assistant made in an earlier round, replayed in the transcript. */
export interface ToolCallRequest {
  id: string;
  name: string;
  input: unknown;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[]; name?: string }
  | {
      role: 'assistant';
      content: string;
      toolCalls?: ToolCallRequest[];
      /**
       * The round's thinking blocks, replayed before its tool calls: the Messages API wants a
       * thinking turn's blocks back (signature intact) when it continues after a tool result.
       */
      reasoning?: ReasoningBlock[];
    }
  | { role: 'tool'; toolCallId: string; toolName: string; content: string; isError?: boolean };

/** A model's thinking as the provider signed it, kept only to send it back unchanged. */
export type ReasoningBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted'; data: string };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 / OpenAPI subset) of the tool's input object. */
  inputSchema: Record<string, unknown>;
}

export interface ChatRequest {
  /** OfoxAI model id, e.g. `openai/gpt-4o` or `anthropic/claude-sonnet-4.5`. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxOutputTokens?: number;
  temperature?: number;
  /** Sent as `provider.fallback`. */
  fallbackModels?: string[];
  /**
   * Ask the model to think before answering and stream its reasoning. Set only for models whose
   * `ModelInfo.reasoning` is true; unset, the request is exactly what it was without reasoning.
   */
  reasoning?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error';

export type LlmEvent =
  | { type: 'text'; delta: string }
  | { type: 'reasoning'; delta: string }
  /** A thinking block ended (Anthropic): what must be replayed if the round continues after tools. */
  | { type: 'reasoning-block'; block: ReasoningBlock }
  | {
      type: 'tool-call';
      id: string;
      name: string;
      /** Parsed arguments; `{}` when `invalid` is set. */
      input: unknown;
      /** Set when the model's arguments were not valid JSON; the agent tells the model. */
      invalid?: { raw: string; message: string };
    }
  | {
      type: 'usage';
      /** Every prompt token, cached ones included. */
      inputTokens: number;
      outputTokens: number;
      /** Of `inputTokens`, read from the provider's prompt cache (priced at its own rate). */
      cachedInputTokens?: number;
      /** Of `inputTokens`, written to the prompt cache (Anthropic's cache creation). */
      cacheWriteTokens?: number;
    }
  /**
   * The attempt failed and another follows after `delayMs`. Everything this round emitted before it
   * (text, reasoning, tool calls, usage) is void: consumers replace, never append.
   */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  | { type: 'finish'; reason: FinishReason };

/** What the gateway told us about the team's request budget (x-ratelimit-*-requests headers). */
export interface RateLimitInfo {
  limitRequests?: number;
  remainingRequests?: number;
  /** Milliseconds until the request window resets. */
  resetRequestsMs?: number;
  /** Set on a 429: the gateway's Retry-After, in milliseconds. */
  retryAfterMs?: number;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Called with every response's rate-limit headers, so the shared budget can adapt. */
  onRateLimit?: (info: RateLimitInfo) => void;
  /**
   * Called once the model has produced no event for the client's `slowNoticeMs` (waiting for a
   * first byte, a stalled stream, retries after it), and again after each later event that is
   * followed by such a silence; the next event means it is answering again.
   */
  onSlow?: (info: { silentMs: number }) => void;
}

export interface ModelInfo {
  id: string;
  contextLength?: number;
  /** The model can stream its reasoning (see `parseModelList` for the shapes read). */
  reasoning?: boolean;
  /** US dollars per million tokens; `perImage` and `perRequest` in US dollars, for image models. */
  pricing?: { inputPerMillion?: number; outputPerMillion?: number; cacheReadPerMillion?: number; cacheWritePerMillion?: number; perImage?: number; perRequest?: number };
  /** The list says what the model outputs: true when that includes images, false when it does not, absent when it does not say. */
  outputsImages?: boolean;
}

export interface LlmClient {
  streamChat(request: ChatRequest, options?: StreamOptions): AsyncIterable<LlmEvent>;
  listModels(options?: { signal?: AbortSignal }): Promise<ModelInfo[]>;
}
