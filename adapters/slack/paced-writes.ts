import { pacedWrite, writeIfRoom, type PacedWriteRequest } from '../../src/render/paced-write.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import type { WriteBudget } from '../../src/render/write-budget.ts';
import { surfaceCall } from './web-client.ts';

/**
 * The ingress's Slack writes outside the answer (notes only one person sees, failure notices, the
 * assistant's status and title, the greeting), drawn from the method budgets of `write-budgets.ts`
 * through the process's shared pacer (`shareTransportPacer`), the one the workers' answers draw
 * from too. Bolt's `respond` (a command's response_url) is not a Web API method and is left out.
 */

/** Waits for a permit (bounded), then writes; a 429 holds off `blame` (or every budget) and retries. */
export function slackPacedWrite<T>(write: Pick<PacedWriteRequest, 'budgets' | 'writeClass' | 'what'> & { blame?: readonly string[] }, call: () => Promise<T>): Promise<T> {
  return pacedWrite({ pacer: transportPacer(), budgets: write.budgets, writeClass: write.writeClass, what: write.what }, () => surfaceCall(call, write.blame));
}

/** Writes only while the budgets have room now (an acknowledgment); resolves whether it wrote. */
export function slackWriteIfRoom(budgets: readonly WriteBudget[], call: () => Promise<unknown>): Promise<boolean> {
  return writeIfRoom({ pacer: transportPacer(), budgets }, call);
}
