import type { Cluster, Redis } from 'ioredis';
import { isReasoningMode, validateReasoningMode, type ReasoningMode } from './reasoning-mode.ts';
import { SettingsValidationError } from './settings-validation-error.ts';
import type { ResolvedSettings, ScopedSettings, SettingsReader, SettingsScope } from './types.ts';

export type SettingsLevel = 'workspace' | 'channel';

/** A change to one level; `null` removes the value so it inherits again. */
export interface SettingsPatch {
  model?: string | null;
  imageModel?: string | null;
  persona?: string | null;
  tools?: Record<string, boolean | null>;
  reasoning?: ReasoningMode | null;
}

export type SettingsField = 'model' | 'imageModel' | 'persona' | 'tools' | 'reasoning';

export interface SettingsStoreOptions {
  redis: Redis | Cluster;
  /** REDIS_KEY_PREFIX. */
  prefix: string;
}

/** Long enough for a detailed persona, short enough not to eat the context budget. */
export const PERSONA_MAX_CHARS = 4_000;
const MODEL_PATTERN = /^[A-Za-z0-9][\w.:@/-]{0,199}$/;
const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_FIELD = 'tool:';

/**
 * Per-workspace and per-channel settings in Redis, one hash per level. A channel inherits every
 * value it does not set from its workspace; tool toggles merge name by name.
 */
export class SettingsStore implements SettingsReader {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;

  constructor(options: SettingsStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
  }

  async resolve(scope: SettingsScope): Promise<ResolvedSettings> {
    const results = await this.#redis
      .pipeline()
      .hgetall(this.#key(scope, 'workspace'))
      .hgetall(this.#key(scope, 'channel'))
      .exec();
    const [workspace, channel] = (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return fromHash(value as Record<string, string>);
    });
    const model = channel?.model ?? workspace?.model;
    const imageModel = channel?.imageModel ?? workspace?.imageModel;
    const persona = channel?.persona ?? workspace?.persona;
    const reasoning = channel?.reasoning ?? workspace?.reasoning;
    return {
      ...(model !== undefined ? { model } : {}),
      ...(imageModel !== undefined ? { imageModel } : {}),
      ...(persona !== undefined ? { persona } : {}),
      tools: { ...workspace?.tools, ...channel?.tools },
      ...(reasoning !== undefined ? { reasoning } : {}),
    };
  }

  /** What this level itself stores (nothing inherited). */
  async get(scope: SettingsScope, level: SettingsLevel): Promise<ScopedSettings> {
    return fromHash(await this.#redis.hgetall(this.#key(scope, level)));
  }

  /** Applies the patch to one level and returns what that level stores afterwards. */
  async update(scope: SettingsScope, level: SettingsLevel, patch: SettingsPatch): Promise<ScopedSettings> {
    const set: Record<string, string> = {};
    const remove: string[] = [];
    if (patch.model !== undefined) {
      if (patch.model === null) remove.push('model');
      else set.model = validateModel(patch.model);
    }
    if (patch.imageModel !== undefined) {
      if (patch.imageModel === null) remove.push('imageModel');
      else set.imageModel = validateModel(patch.imageModel);
    }
    if (patch.persona !== undefined) {
      if (patch.persona === null) remove.push('persona');
      else set.persona = validatePersona(patch.persona);
    }
    if (patch.reasoning !== undefined) {
      if (patch.reasoning === null) remove.push('reasoning');
      else set.reasoning = validateReasoningMode(patch.reasoning);
    }
    for (const [name, enabled] of Object.entries(patch.tools ?? {})) {
      if (!TOOL_NAME_PATTERN.test(name)) throw new SettingsValidationError(`"${name}" is not a valid tool name`);
      if (enabled === null) remove.push(TOOL_FIELD + name);
      else set[TOOL_FIELD + name] = enabled ? '1' : '0';
    }
    const key = this.#key(scope, level);
    const transaction = this.#redis.multi();
    if (Object.keys(set).length > 0) transaction.hset(key, set);
    if (remove.length > 0) transaction.hdel(key, ...remove);
    transaction.hgetall(key);
    const results = await transaction.exec();
    const last = results?.at(-1);
    if (!last || last[0]) throw last?.[0] ?? new Error('settings update failed');
    return fromHash(last[1] as Record<string, string>);
  }

  /** Removes values from one level so they inherit again: the named fields, or everything. */
  async clear(scope: SettingsScope, level: SettingsLevel, fields?: readonly SettingsField[]): Promise<void> {
    const key = this.#key(scope, level);
    if (!fields) {
      await this.#redis.del(key);
      return;
    }
    const remove: string[] = fields.filter((field) => field !== 'tools');
    if (fields.includes('tools')) {
      const names = await this.#redis.hkeys(key);
      remove.push(...names.filter((name) => name.startsWith(TOOL_FIELD)));
    }
    if (remove.length > 0) await this.#redis.hdel(key, ...remove);
  }

  #key(scope: SettingsScope, level: SettingsLevel): string {
    const workspace = `${this.#prefix}:settings:${encodeURIComponent(scope.platform)}:${encodeURIComponent(scope.workspaceId)}`;
    return level === 'workspace' ? `${workspace}:workspace` : `${workspace}:channel:${encodeURIComponent(scope.channelId)}`;
  }
}

function fromHash(hash: Record<string, string>): ScopedSettings {
  const settings: ScopedSettings = {};
  const tools: Record<string, boolean> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (field === 'model') settings.model = value;
    else if (field === 'imageModel') settings.imageModel = value;
    else if (field === 'persona') settings.persona = value;
    // A value this version does not know (written by a newer one) reads as unset, not as a crash.
    else if (field === 'reasoning') {
      if (isReasoningMode(value)) settings.reasoning = value;
    }
    else if (field.startsWith(TOOL_FIELD)) tools[field.slice(TOOL_FIELD.length)] = value === '1';
  }
  if (Object.keys(tools).length > 0) settings.tools = tools;
  return settings;
}

export function validateModel(model: string): string {
  const trimmed = model.trim();
  if (!MODEL_PATTERN.test(trimmed)) {
    throw new SettingsValidationError(`"${model}" is not a valid model id; use the form provider/name, e.g. openai/gpt-4o`);
  }
  return trimmed;
}

export function validatePersona(persona: string): string {
  const trimmed = persona.trim();
  if (trimmed.length === 0) throw new SettingsValidationError('The persona is empty; to remove it, clear it instead.');
  if (trimmed.length > PERSONA_MAX_CHARS) {
    throw new SettingsValidationError(
      `The persona is ${trimmed.length.toLocaleString('en-US')} characters; the limit is ${PERSONA_MAX_CHARS.toLocaleString('en-US')}.`,
    );
  }
  return trimmed;
}
