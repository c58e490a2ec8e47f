import { GlobalTransaction } from './global-transaction.js';
import { payloadBytes, type Payload } from './payload.js';
import type { TransOptions } from './trans-request.js';
import type { DtmServer } from './transport/dtm-server.js';

/**
 * A saga (dtm-spec §7.3): steps with an action and a compensation each, run in order (or
 * concurrently, respecting {@link addBranchOrder}); when an action answers FAILURE the server runs
 * the compensations of the steps that ran, in reverse order.
 *
 * ```ts
 * await new Saga(dtm, await dtm.newGid())
 *   .add(`${busi}/transOut`, `${busi}/transOutCompensate`, { amount: 30 })
 *   .add(`${busi}/transIn`, `${busi}/transInCompensate`, { amount: 30 })
 *   .submit();
 * ```
 */
export class Saga extends GlobalTransaction {
  readonly #steps: Array<{ action: string; compensate: string }> = [];
  readonly #payloads: Uint8Array[] = [];
  readonly #orders: Record<string, number[]> = {};
  #concurrent = false;

  constructor(dtm: DtmServer, gid: string, options?: TransOptions) {
    super(dtm, gid, 'saga', options);
  }

  /** Adds a step; an empty URL means "nothing to call" (counts as success). */
  add(action: string, compensate: string, payload: Payload): this {
    this.#steps.push({ action, compensate });
    this.#payloads.push(payloadBytes(payload));
    return this;
  }

  /** Concurrent sagas: step `branch` (0-based) starts only after every step in `preBranches` succeeded. */
  addBranchOrder(branch: number, preBranches: number[]): this {
    const ok = (i: number) => Number.isInteger(i) && i >= 0 && i < this.#steps.length;
    if (!ok(branch) || !preBranches.every((p) => ok(p) && p < branch)) {
      throw new RangeError(`addBranchOrder(${branch}, [${preBranches.join(',')}]): steps are 0-based indexes of added steps, each before ${branch}`);
    }
    this.#orders[String(branch)] = [...preBranches];
    return this;
  }

  /** Runs the steps concurrently (respecting the branch orders). */
  enableConcurrent(): this {
    this.#concurrent = true;
    return this;
  }

  /**
   * Submits the saga. Resolves once the server accepted it (with `wait_result`: once the first pass
   * succeeded; a saga rolled back in that pass rejects with DtmFailure carrying the reason).
   */
  async submit(): Promise<void> {
    if (this.#steps.length === 0) throw new TypeError('a saga needs at least one step');
    const customData = this.#concurrent ? JSON.stringify({ orders: this.#orders, concurrent: true }) : undefined;
    await this.dtm.submit(this.transCall({ steps: this.#steps, payloads: this.#payloads, ...(customData ? { custom_data: customData } : {}) }));
  }
}
