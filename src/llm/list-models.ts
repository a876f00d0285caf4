import { classifyUpstreamError, extractUpstreamError } from './classify-upstream-error.ts';
import { LlmError } from './errors.ts';
import type { ModelInfo } from './types.ts';

export const MODEL_LIST_LIMIT_BYTES = 16 * 1024 * 1024;

/** `{data:[{id, context_length?, pricing?, supported_parameters? | capabilities? | features?}]}` → our `ModelInfo[]`. */
export function parseModelList(text: string, status: number, secrets: readonly string[]): ModelInfo[] {
  if (status >= 400) throw classifyUpstreamError({ status, details: extractUpstreamError(text), secrets });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new LlmError('OfoxAI returned an unreadable model list', { kind: 'server' }, { status, cause: error });
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new LlmError('OfoxAI returned a model list without `data`', { kind: 'server' }, { status });
  const models: ModelInfo[] = [];
  for (const item of data) {
    if (item === null || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    if (typeof record.id !== 'string') continue;
    const model: ModelInfo = { id: record.id };
    const contextLength = toNumber(record.context_length) ?? toNumber(record.context_window);
    if (contextLength !== undefined) model.contextLength = contextLength;
    const pricing = toPricing(record.pricing);
    if (pricing !== undefined) model.pricing = pricing;
    const outputs = outputModalities(record);
    if (outputs !== undefined) model.outputsImages = outputs.includes('image');
    if (supportsReasoning(record)) model.reasoning = true;
    models.push(model);
  }
  return models;
}

function toNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/**
 * Gateways price per token as decimal strings (`prompt`/`completion`, OpenRouter style) or per
 * million tokens (`input`/`output`); we always speak per million.
 */
function toPricing(value: unknown): ModelInfo['pricing'] {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const perToken = (amount: number | undefined) => (amount === undefined ? undefined : Math.round(amount * 1e12) / 1e6);
  const input = toNumber(record.input) ?? perToken(toNumber(record.prompt));
  const output = toNumber(record.output) ?? perToken(toNumber(record.completion));
  // Image models are priced per generated image (`image`) or per call (`request`), in dollars.
  const perImage = toNumber(record.image);
  const perRequest = toNumber(record.request);
  if (input === undefined && output === undefined && perImage === undefined && perRequest === undefined) return undefined;
  const pricing: NonNullable<ModelInfo['pricing']> = {};
  if (perImage !== undefined) pricing.perImage = perImage;
  if (perRequest !== undefined) pricing.perRequest = perRequest;
  if (input !== undefined) pricing.inputPerMillion = input;
  if (output !== undefined) pricing.outputPerMillion = output;
  // Prompt-cache reads and writes have their own rates (`input_cache_read` / `input_cache_write`).
  const cacheRead = toNumber(record.cache_read) ?? perToken(toNumber(record.input_cache_read));
  const cacheWrite = toNumber(record.cache_write) ?? perToken(toNumber(record.input_cache_write));
  if (cacheRead !== undefined) pricing.cacheReadPerMillion = cacheRead;
  if (cacheWrite !== undefined) pricing.cacheWritePerMillion = cacheWrite;
  return pricing;
}

/** `architecture.output_modalities` (OpenRouter style) or a top-level `output_modalities`; undefined when the list says nothing. */
function outputModalities(record: Record<string, unknown>): string[] | undefined {
  const architecture = record.architecture as Record<string, unknown> | null | undefined;
  const listed = (architecture && typeof architecture === 'object' ? architecture.output_modalities : undefined) ?? record.output_modalities;
  if (!Array.isArray(listed)) return undefined;
  return listed.filter((value): value is string => typeof value === 'string').map((value) => value.toLowerCase());
}

/** Parameter names that say a model takes the reasoning request (OpenRouter's `supported_parameters`). */
const REASONING_PARAMETERS = new Set(['reasoning', 'include_reasoning', 'reasoning_effort', 'thinking']);
/** Capability names that say a model reasons (`capabilities` / `features`, as lists or as `{name: true}` maps). */
const REASONING_CAPABILITIES = new Set(['reasoning', 'thinking', 'extended_thinking']);

/**
 * Gateways say a model reasons in different ways; accepted: `supported_parameters` listing
 * `reasoning`, `include_reasoning`, `reasoning_effort` or `thinking`; `capabilities` or `features`
 * listing `reasoning`, `thinking` or `extended_thinking` (or an object with one of them `true`);
 * and a top-level `reasoning: true` / `supports_reasoning: true`. Anything else: no reasoning, so
 * an unknown model is asked exactly what it was asked before.
 */
export function supportsReasoning(record: Record<string, unknown>): boolean {
  if (record.reasoning === true || record.supports_reasoning === true) return true;
  if (namesAny(record.supported_parameters, REASONING_PARAMETERS)) return true;
  return namesAny(record.capabilities, REASONING_CAPABILITIES) || namesAny(record.features, REASONING_CAPABILITIES);
}

function namesAny(value: unknown, names: ReadonlySet<string>): boolean {
  if (Array.isArray(value)) return value.some((item) => typeof item === 'string' && names.has(item.toLowerCase()));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).some(([name, on]) => on === true && names.has(name.toLowerCase()));
  }
  return false;
}
