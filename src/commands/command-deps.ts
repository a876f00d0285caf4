import type { ModelInfo } from '../llm/types.ts';
import type { SettingsStore } from '../settings/index.ts';
import type { ToolCatalog } from '../tools/tool-catalog.ts';
import type { UsageReader } from '../usage/types.ts';

export interface CommandServiceDeps {
  settings: SettingsStore;
  catalog: ToolCatalog;
  /** The gateway's models; cached here, and a failure is tolerated. */
  listModels(): Promise<ModelInfo[]>;
  /** OFOX_MODEL: what a channel uses when nothing is set. */
  defaultModel: string;
  usage: UsageReader;
  /** How long a fetched model list is reused. @defaultValue 300_000 */
  modelCacheMs?: number;
  /** Days the `usage` command shows. @defaultValue 7 */
  usageDays?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}
