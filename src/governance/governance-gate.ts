import type { Cluster, Redis } from 'ioredis';
import type { GateDecision, GateRefusalReason, IngressGate } from '../ingress/gate.ts';
import type { Inbound } from '../ingress/inbound.ts';
import { jobIdFor } from '../queue/chat-job.ts';
import { describeDenial, evaluateAccess } from './access-rules.ts';
import { AccessStore } from './access-store.ts';
import { BudgetLedger } from './budget-ledger.ts';
import { BudgetLimits } from './budget-limits.ts';
import { describeDuration } from './budget-periods.ts';
import { budgetRefusalText } from './budget-wording.ts';
import { Fairness } from './fairness.ts';
import type { GovernanceConfig } from './governance-config.ts';
import { ledgerScopes } from './ledger-scopes.ts';
import { RefusalNotices } from './refusal-notices.ts';

export interface GovernanceGateDeps {
  redis: Redis | Cluster;
  /** REDIS_KEY_PREFIX: every key lives under `${prefix}:`. */
  prefix: string;
  config: GovernanceConfig;
  /** @defaultValue Date.now */
  now?: () => number;
  /** A refused person hears why once per reason in this window. @defaultValue GOVERNANCE_DEFAULTS.noticeWindowMs */
  noticeWindowMs?: number;
}

/**
 * The ingress gate: access rules, then the budget (is anything left?), then the asker's rate and
 * in-flight answers. Refusals are cheap (no model call) and say why privately, once an hour.
 * An allowed request holds an in-flight slot named by its job id until the worker's finish step
 * (or the failed-for-good handler) releases it.
 */
export function createGovernanceGate(deps: GovernanceGateDeps): IngressGate {
  const now = deps.now ?? Date.now;
  const { redis, prefix, config } = deps;
  const access = new AccessStore({ redis, prefix, config: config.access });
  const limits = new BudgetLimits({ redis, prefix, config: config.budgets });
  const ledger = new BudgetLedger({ redis, prefix, now });
  const fairness = new Fairness({ redis, prefix, requestsPerMinute: config.fairness.requestsPerMinute, maxInFlight: config.fairness.maxInFlight, now });
  const notices = new RefusalNotices({ redis, prefix, ...(deps.noticeWindowMs !== undefined ? { windowMs: deps.noticeWindowMs } : {}) });
  const contact = config.contact ? ` Ask ${config.contact} if you need more.` : ' Ask a workspace admin if you need more.';

  async function refuse(inbound: Inbound, reason: GateRefusalReason, text: string): Promise<GateDecision> {
    const notify = await notices.shouldNotify({ platform: inbound.platform, workspaceId: inbound.workspaceId, userId: inbound.user.id }, reason);
    return notify ? { allowed: false, reason, notice: text } : { allowed: false, reason };
  }

  return {
    async check(inbound) {
      const scope = { platform: inbound.platform, workspaceId: inbound.workspaceId, channelId: inbound.channelId, userId: inbound.user.id };
      const rules = await access.rulesFor(scope);
      const verdict = evaluateAccess(rules.workspace, rules.channel, { userId: inbound.user.id, groups: inbound.user.groups, channelId: inbound.channelId, isDirect: inbound.isDirect });
      if (!verdict.allowed) {
        const ask = config.contact ? ` Ask ${config.contact} if you think this is wrong.` : ' Ask a workspace admin if you think this is wrong.';
        return refuse(inbound, 'access', `${describeDenial(verdict.why)}${ask}`);
      }

      const resolved = await limits.resolve(scope);
      const shortfall = await ledger.exhausted(ledger.lines(ledgerScopes(scope, resolved), now()));
      if (shortfall) return refuse(inbound, 'budget', `${budgetRefusalText(shortfall, now())}${contact}`);

      const user = { platform: inbound.platform, workspaceId: inbound.workspaceId, userId: inbound.user.id };
      const rate = await fairness.takeRequest(user);
      if (!rate.ok) {
        return refuse(inbound, 'rate', `You are asking faster than ${config.fairness.requestsPerMinute} questions a minute; try again in ${describeDuration(rate.retryAfterMs)}.`);
      }
      if (!(await fairness.acquireSlot(user, jobIdFor(inbound.platform, inbound.eventId)))) {
        const max = config.fairness.maxInFlight;
        return refuse(inbound, 'in-flight', `You already have ${max} ${max === 1 ? 'answer' : 'answers'} in progress; ask again when one finishes.`);
      }
      return { allowed: true };
    },
  };
}
