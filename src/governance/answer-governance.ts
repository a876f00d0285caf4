import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { AgentResult, RoundCheck, RoundVerdict } from '../worker/agent-loop.ts';
import type { AnswerGovernance, AnswerMeter } from '../worker/processor.ts';
import type { BudgetLedger, Hold, LedgerLine } from './budget-ledger.ts';
import type { BudgetLimits } from './budget-limits.ts';
import { budgetStopText } from './budget-wording.ts';
import type { ChannelOptions } from './channel-options.ts';
import type { Fairness } from './fairness.ts';
import { GOVERNANCE_DEFAULTS } from './governance-config.ts';
import { ledgerScopes } from './ledger-scopes.ts';
import { formatUsd } from './money.ts';
import { costWithPrice, NO_USAGE, subtractUsage, type ModelPrice, type PriceBook, type TokenUsage } from './price-book.ts';

export interface AnswerGovernanceDeps {
  ledger: BudgetLedger;
  limits: BudgetLimits;
  prices: PriceBook;
  fairness: Fairness;
  channelOptions: ChannelOptions;
  log: Logger;
  /** Output tokens reserved per round when the request sets no maximum. @defaultValue GOVERNANCE_DEFAULTS.roundReserveOutputTokens */
  roundReserveOutputTokens?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * The worker's side of budgets: before each model round the round's likely cost is reserved on
 * every counter that applies (user, channel, workspace × day, month); after it, the reservation is
 * replaced by the real cost. A round that does not fit ends the answer with a footer saying so.
 */
export function createAnswerGovernance(deps: AnswerGovernanceDeps): AnswerGovernance {
  const now = deps.now ?? Date.now;
  return {
    start({ job, model, maxOutputTokens }) {
      return new PricedAnswer(deps, job, model, maxOutputTokens ?? deps.roundReserveOutputTokens ?? GOVERNANCE_DEFAULTS.roundReserveOutputTokens, now);
    },
    async jobEnded(job, jobId) {
      await deps.fairness.releaseSlot({ platform: job.platform, workspaceId: job.workspaceId, userId: job.userId }, jobId);
    },
  };
}

class PricedAnswer implements AnswerMeter {
  readonly #deps: AnswerGovernanceDeps;
  readonly #job: ChatJob;
  readonly #model: string;
  readonly #reserveOutput: number;
  readonly #now: () => number;
  #lines: LedgerLine[] | undefined;
  #price: ModelPrice | undefined;
  #hold: Hold | undefined;
  /** Usage already settled on the counters. */
  #charged: TokenUsage = NO_USAGE;

  constructor(deps: AnswerGovernanceDeps, job: ChatJob, model: string, reserveOutput: number, now: () => number) {
    this.#deps = deps;
    this.#job = job;
    this.#model = model;
    this.#reserveOutput = reserveOutput;
    this.#now = now;
  }

  async beforeRound(check: RoundCheck): Promise<RoundVerdict> {
    const { lines, price } = await this.#prepare();
    await this.#settleRound(check.usage);
    const tokens = check.estimatedInputTokens + this.#reserveOutput;
    const nano = price ? check.estimatedInputTokens * price.input + this.#reserveOutput * price.output : 0;
    const reserved = await this.#deps.ledger.reserve(lines, nano, tokens);
    if (reserved.ok) {
      this.#hold = reserved.hold;
      return { proceed: true };
    }
    this.#deps.log.info({ round: check.round, scope: reserved.shortfall.line.kind, period: reserved.shortfall.line.period }, 'answer stopped at its budget');
    return { proceed: false, reason: budgetStopText(reserved.shortfall, this.#now()) };
  }

  async finish(result: AgentResult): Promise<{ costNanoUsd: number; costText?: string }> {
    const { price } = await this.#prepare();
    const total: TokenUsage = {
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cachedInputTokens: result.cachedInputTokens,
      cacheWriteTokens: result.cacheWriteTokens,
    };
    await this.#settleRound(total);
    const costNanoUsd = price ? costWithPrice(price, total) : 0;
    const shows = await this.#deps.channelOptions.showsCost(this.#job).catch(() => false);
    return shows ? { costNanoUsd, costText: formatUsd(costNanoUsd) } : { costNanoUsd };
  }

  async abandon(): Promise<void> {
    if (!this.#hold) return;
    // The unfinished round is not charged: its tokens were never reported.
    await this.#deps.ledger.settle(this.#hold, 0, 0);
    this.#hold = undefined;
  }

  /** Replaces the running round's reservation by what it really cost. */
  async #settleRound(usageSoFar: TokenUsage): Promise<void> {
    const round = subtractUsage(usageSoFar, this.#charged);
    const { lines, price } = await this.#prepare();
    const nano = price ? costWithPrice(price, round) : 0;
    const tokens = round.inputTokens + round.outputTokens;
    if (nano === 0 && tokens === 0 && !this.#hold) return;
    const hold = this.#hold ?? { lines, nano: 0, tokens: 0 };
    await this.#deps.ledger.settle(hold, nano, tokens);
    this.#hold = undefined;
    this.#charged = usageSoFar;
  }

  async #prepare(): Promise<{ lines: LedgerLine[]; price: ModelPrice | undefined }> {
    if (!this.#lines) {
      const scope = { platform: this.#job.platform, workspaceId: this.#job.workspaceId, channelId: this.#job.channelId, userId: this.#job.userId };
      const [limits, price] = await Promise.all([this.#deps.limits.resolve(scope), this.#deps.prices.priceOf(this.#model)]);
      if (!price) this.#deps.log.warn({ model: this.#model }, 'the model list gives no price for this model; counting its tokens only');
      this.#lines = this.#deps.ledger.lines(ledgerScopes(scope, limits), this.#now());
      this.#price = price;
    }
    return { lines: this.#lines, price: this.#price };
  }
}
