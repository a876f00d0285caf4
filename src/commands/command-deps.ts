import type { FeedbackReader } from '../feedback/feedback-store.ts';
import type { Governance } from '../governance/governance.ts';
import type { ModelInfo } from '../llm/types.ts';
import type { SettingsStore } from '../settings/index.ts';
import type { ToolCatalog } from '../tools/tool-catalog.ts';
import type { UsageReader } from '../usage/types.ts';

/** The governance parts commands read and change. */
export type CommandGovernance = Pick<Governance, 'config' | 'access' | 'limits' | 'ledger' | 'audit' | 'channelOptions'>;

export interface CommandServiceDeps {
  settings: SettingsStore;
  catalog: ToolCatalog;
  /** The gateway's models; cached here, and a failure is tolerated. */
  listModels(): Promise<ModelInfo[]>;
  /** OFOX_MODEL: what a channel uses when nothing is set. */
  defaultModel: string;
  /** OFOX_IMAGE_MODEL: what the image tool uses when a channel sets nothing. @defaultValue none shown */
  defaultImageModel?: string;
  usage: UsageReader;
  /** 👍 / 👎 totals per model and persona, shown to admins in `usage`. @defaultValue not shown */
  feedback?: FeedbackReader;
  /** Budgets, access rules, the audit trail; without it those commands say governance is off. */
  governance?: CommandGovernance;
  /**
   * The platform's own help text, worded by its adapter after the commands it really registers
   * (Discord: `discordHelpText()`); '' lets the adapter answer itself (Slack: its subcommand list);
   * undefined gives the platform-neutral text.
   */
  helpFor?(platform: string): string | undefined;
  /** How long a fetched model list is reused. @defaultValue 300_000 */
  modelCacheMs?: number;
  /** Days the `usage` command shows. @defaultValue 7 */
  usageDays?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}
