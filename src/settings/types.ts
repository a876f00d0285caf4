import type { ReasoningMode } from './reasoning-mode.ts';

/** Where a setting applies: a whole workspace (guild / Slack team) or one channel in it. */
export interface SettingsScope {
  platform: string;
  workspaceId: string;
  channelId: string;
}

/** What one level stores; anything unset inherits from the level above. */
export interface ScopedSettings {
  model?: string;
  /** The image tool's model; validate with `validateImageModel` against the model list. */
  imageModel?: string;
  persona?: string;
  /** Tool name → on/off; tools not named follow their policy's `enabledByDefault`. */
  tools?: Record<string, boolean>;
  /** How a reasoning model's thinking is shown (`src/settings/reasoning-mode.ts`). */
  reasoning?: ReasoningMode;
}

export interface ResolvedSettings {
  model?: string;
  imageModel?: string;
  persona?: string;
  tools: Record<string, boolean>;
  /** Absent when no level chose: read it as `DEFAULT_REASONING_MODE`. */
  reasoning?: ReasoningMode;
}

export interface SettingsReader {
  resolve(scope: SettingsScope): Promise<ResolvedSettings>;
}
