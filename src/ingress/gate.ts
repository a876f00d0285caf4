import type { Inbound } from './inbound.ts';

/**
 * The check every request passes before anything is posted or enqueued: access rules, budgets and
 * per-user fairness (`src/governance` implements it). A refusal costs no model call and no public
 * message: the pipeline sends `notice` privately to the asker, or nothing when it is absent (a
 * refusal already explained within the hour).
 */
export type GateDecision =
  | { allowed: true }
  | { allowed: false; reason: GateRefusalReason; notice?: string };

export type GateRefusalReason = 'access' | 'budget' | 'rate' | 'in-flight';

export interface IngressGate {
  check(inbound: Inbound): Promise<GateDecision>;
  /**
   * The gate allowed the request but it was never enqueued (no permission to answer, a failed
   * step, the outbox gave up): give back what `check` took (the asker's in-flight slot). Never rejects.
   * @defaultValue nothing to give back
   */
  release?(inbound: Inbound): Promise<void>;
}

/** Everyone may ask, without limit: the behaviour until governance is configured. */
export const OPEN_GATE: IngressGate = {
  async check() {
    return { allowed: true };
  },
};
