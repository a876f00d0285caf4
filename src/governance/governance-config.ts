import { z } from 'zod';

/**
 * The `governance:` section of `ofox-bot.config.yaml`: access rules, budgets, fairness and the
 * audit trail's size. Every part is optional; without the section everyone may ask without limit,
 * as before. Admin commands add rules and limits in Redis on top of these.
 */

export const GOVERNANCE_DEFAULTS = {
  /** @defaultValue 20 requests per user per minute */
  requestsPerMinute: 20,
  /** @defaultValue 3 answers per user queued or running */
  maxInFlight: 3,
  /** @defaultValue 10_000 audit entries kept */
  auditMaxEntries: 10_000,
  /** How long a fetched price list is used before it is fetched again. @defaultValue 600_000 (10 min) */
  priceRefreshMs: 600_000,
  /** Output tokens reserved for a model round when the request sets no maximum. @defaultValue 1024 */
  roundReserveOutputTokens: 1024,
  /** An in-flight slot whose job never reported back frees itself after this long. @defaultValue 1_800_000 (30 min) */
  slotTtlMs: 1_800_000,
  /** A refusal notice is sent at most once per user and reason in this window. @defaultValue 3_600_000 (1 h) */
  noticeWindowMs: 3_600_000,
} as const;

const ids = z.array(z.union([z.string().min(1), z.number()]).transform(String)).default([]);

/** One level of access rules (a workspace, or one channel in it). Deny wins over allow. */
export const accessRuleSchema = z
  .object({
    /** When any allow list (users or groups) is non-empty, only those users / group members may ask. */
    allowUsers: ids,
    denyUsers: ids,
    /** Discord role ids, Slack user-group ids. */
    allowGroups: ids,
    denyGroups: ids,
    /** When non-empty, the bot answers only in these channels. */
    allowChannels: ids,
    denyChannels: ids,
    /** Direct messages to the bot; unset inherits (default on). */
    dms: z.boolean().optional(),
    /** Who may approve tool calls besides the asker and admins. */
    approverUsers: ids,
    approverGroups: ids,
  })
  .strict();

export const limitsSchema = z
  .object({
    dailyUsd: z.number().nonnegative(),
    monthlyUsd: z.number().nonnegative(),
    dailyTokens: z.number().int().nonnegative(),
    monthlyTokens: z.number().int().nonnegative(),
  })
  .partial()
  .strict();

const workspaceAccessSchema = accessRuleSchema.extend({ channels: z.record(z.string(), accessRuleSchema).default({}) }).strict();

export const governanceConfigSchema = z
  .object({
    /** Who to ask, named in every refusal ("ask in #ai-help"). */
    contact: z.string().max(200).optional(),
    /** US dollars charged per image when the model list gives an image model no price; unset: such images are not charged. */
    imagePriceUsd: z.number().nonnegative().optional(),
    access: z
      .object({
        /** Applies in every workspace, under each workspace's own rules. */
        default: accessRuleSchema.optional(),
        /** Workspace id (Discord guild id, Slack team id) → its rules and channel overrides. */
        workspaces: z.record(z.string(), workspaceAccessSchema).default({}),
      })
      .strict()
      .default({ workspaces: {} }),
    budgets: z
      .object({
        /** Each user's limits, unless `users` names them. */
        user: limitsSchema.optional(),
        /** Each channel's limits, unless `channels` names it. */
        channel: limitsSchema.optional(),
        /** Each workspace's total, unless `workspaces` names it. */
        workspace: limitsSchema.optional(),
        users: z.record(z.string(), limitsSchema).default({}),
        channels: z.record(z.string(), limitsSchema).default({}),
        workspaces: z.record(z.string(), limitsSchema).default({}),
      })
      .strict()
      .default({ users: {}, channels: {}, workspaces: {} }),
    fairness: z
      .object({
        /** Requests one user may start per minute (0 = no limit). */
        requestsPerMinute: z.number().int().nonnegative().default(GOVERNANCE_DEFAULTS.requestsPerMinute),
        /** Answers of one user queued or running at once (0 = no limit). */
        maxInFlight: z.number().int().nonnegative().default(GOVERNANCE_DEFAULTS.maxInFlight),
      })
      .strict()
      .default({ requestsPerMinute: GOVERNANCE_DEFAULTS.requestsPerMinute, maxInFlight: GOVERNANCE_DEFAULTS.maxInFlight }),
    audit: z
      .object({ maxEntries: z.number().int().min(100).max(1_000_000).default(GOVERNANCE_DEFAULTS.auditMaxEntries) })
      .strict()
      .default({ maxEntries: GOVERNANCE_DEFAULTS.auditMaxEntries }),
  })
  .strict();

export type AccessRule = z.infer<typeof accessRuleSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type GovernanceConfig = z.infer<typeof governanceConfigSchema>;

export const EMPTY_GOVERNANCE_CONFIG: GovernanceConfig = governanceConfigSchema.parse({});

export class GovernanceConfigError extends Error {
  override name = 'GovernanceConfigError';
}

/** Fairness numbers set outside the file (GOVERNANCE_REQUESTS_PER_MINUTE / GOVERNANCE_MAX_IN_FLIGHT); they win. */
export interface FairnessOverrides {
  requestsPerMinute?: number | undefined;
  maxInFlight?: number | undefined;
}

/** The section as read from the config file (`undefined` when absent), with the fairness overrides applied. */
export function parseGovernanceConfig(raw: unknown, overrides: FairnessOverrides = {}): GovernanceConfig {
  const parsed = governanceConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `governance.${issue.path.map(String).join('.')}: ${issue.message}`);
    throw new GovernanceConfigError(`The governance config is invalid:\n- ${problems.join('\n- ')}`);
  }
  const config = parsed.data;
  if (overrides.requestsPerMinute !== undefined) config.fairness.requestsPerMinute = overrides.requestsPerMinute;
  if (overrides.maxInFlight !== undefined) config.fairness.maxInFlight = overrides.maxInFlight;
  return config;
}
