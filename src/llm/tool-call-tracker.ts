import { randomUUID } from 'node:crypto';
import type { LlmEvent } from './types.ts';

export type ToolCallEvent = Extract<LlmEvent, { type: 'tool-call' }>;

interface PendingCall {
  id: string | undefined;
  name: string;
  fragments: string[];
}

/**
 * Gathers tool-call fragments for both protocols (OpenAI deltas keyed by `index`, Anthropic
 * content blocks keyed by block index). A call is only parsed when its protocol says it is over:
 * a prefix of the arguments can be valid JSON, so "it parses" never means "it is complete".
 */
export class ToolCallTracker {
  readonly #calls = new Map<number | string, PendingCall>();

  /** Adds a fragment; `id` and `name` usually come only with a call's first fragment. */
  update(key: number | string, fragment: { id?: string | undefined; name?: string | undefined; arguments?: string | undefined }): void {
    let call = this.#calls.get(key);
    if (call === undefined) {
      call = { id: undefined, name: '', fragments: [] };
      this.#calls.set(key, call);
    }
    if (fragment.id && call.id === undefined) call.id = fragment.id;
    if (fragment.name && call.name === '') call.name = fragment.name;
    if (fragment.arguments) call.fragments.push(fragment.arguments);
  }

  has(key: number | string): boolean {
    return this.#calls.has(key);
  }

  get size(): number {
    return this.#calls.size;
  }

  /** Finishes one call (Anthropic `content_block_stop`). */
  complete(key: number | string): ToolCallEvent | undefined {
    const call = this.#calls.get(key);
    if (call === undefined) return undefined;
    this.#calls.delete(key);
    return this.#finish(call);
  }

  /** Finishes every open call in the order each first appeared (end of an OpenAI stream). */
  completeAll(): ToolCallEvent[] {
    const events = [...this.#calls.values()].map((call) => this.#finish(call));
    this.#calls.clear();
    return events;
  }

  #finish(call: PendingCall): ToolCallEvent {
    // Unique across rounds too: both protocols reject a transcript that repeats a tool-call id.
    const id = call.id ?? `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const raw = call.fragments.join('');
    if (raw.trim() === '') return { type: 'tool-call', id, name: call.name, input: {} };
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch (error) {
      return { type: 'tool-call', id, name: call.name, input: {}, invalid: { raw, message: `arguments are not valid JSON: ${(error as Error).message}` } };
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return { type: 'tool-call', id, name: call.name, input: {}, invalid: { raw, message: 'arguments must be a JSON object' } };
    }
    return { type: 'tool-call', id, name: call.name, input };
  }
}
