import { BranchBarrier, MSG_BARRIER } from './barrier/branch-barrier.js';
import { DtmAbortFailed, DtmFailure, ensureError } from './errors.js';
import { GlobalTransaction } from './global-transaction.js';
import { payloadBytes, type Payload } from './payload.js';
import type { SqlConnection, SqlPool } from './sql-connection.js';
import type { TransOptions } from './trans-request.js';
import { callBranch } from './transport/branch-caller.js';
import type { DtmServer } from './transport/dtm-server.js';

/** dtm's msg topic prefix: an action `topic://<name>` fans out to the topic's subscribers. */
export const MSG_TOPIC_PREFIX = 'topic://';

/**
 * A two-phase message (dtm-spec §7.4): `prepare` stores it, your local transaction commits, then
 * `submit` has the server call every action until it succeeds (actions must not answer FAILURE).
 * If the process dies in between, the server asks `queryPrepared` whether the local transaction
 * committed. {@link doAndSubmit} runs the whole sequence with the branch barrier's check.
 */
export class Msg extends GlobalTransaction {
  readonly #steps: Array<{ action: string }> = [];
  readonly #payloads: Uint8Array[] = [];
  #delay = 0;
  #concurrent = false;
  #queryPrepared = '';

  constructor(dtm: DtmServer, gid: string, options?: TransOptions) {
    super(dtm, gid, 'msg', options);
  }

  add(action: string, payload: Payload): this {
    this.#steps.push({ action });
    this.#payloads.push(payloadBytes(payload));
    return this;
  }

  /** A step whose action is every subscriber of `topic`. */
  addTopic(topic: string, payload: Payload): this {
    return this.add(`${MSG_TOPIC_PREFIX}${topic}`, payload);
  }

  /** Calls the actions only `seconds` after creation (`custom_data.delay`). */
  setDelay(seconds: number): this {
    if (!Number.isSafeInteger(seconds) || seconds < 0) throw new TypeError(`delay must be an integer >= 0 (got ${seconds})`);
    this.#delay = seconds;
    return this;
  }

  /** Calls the actions concurrently (HTTP only: dtm's gRPC API has no such option). */
  enableConcurrent(): this {
    this.#concurrent = true;
    return this;
  }

  /** Stores the message as prepared; the server queries `queryPrepared` back when it is not submitted in time. */
  async prepare(queryPrepared: string): Promise<void> {
    if (queryPrepared) this.#queryPrepared = queryPrepared;
    await this.dtm.prepare(this.#call());
  }

  async submit(): Promise<void> {
    await this.dtm.submit(this.#call());
  }

  /**
   * prepare → `business(barrier)` → submit (dtm's DoAndSubmit). `business` must run its local
   * transaction under `barrier` (e.g. `barrier.call(conn, ...)` or `redisCheckAdjustAmount`), so that
   * `queryPrepared` can tell whether it committed. If `business` throws DtmFailure the message is
   * aborted; if it throws anything else the outcome is asked from `queryPrepared` (the local
   * transaction may have committed before the error): SUCCESS submits, FAILURE aborts. The error of
   * `business` is rethrown in every case; DtmAbortFailed when the abort fails too.
   */
  async doAndSubmit(queryPrepared: string, business: (barrier: BranchBarrier) => Promise<void>): Promise<void> {
    const barrier = BranchBarrier.from({ gid: this.gid, trans_type: 'msg', branch_id: MSG_BARRIER.branchId, op: MSG_BARRIER.op });
    await this.prepare(queryPrepared);
    let busiError: Error | undefined;
    try {
      await business(barrier);
    } catch (thrown) {
      busiError = ensureError(thrown);
    }
    let checkError: Error | undefined;
    if (busiError !== undefined && !(busiError instanceof DtmFailure)) {
      try {
        await callBranch(this.branchContext(), { url: this.#queryPrepared, branchId: MSG_BARRIER.branchId, op: MSG_BARRIER.op, method: 'GET', ...(this.dtm.protocol === 'grpc' ? { payload: new Uint8Array() } : {}) });
      } catch (thrown) {
        checkError = ensureError(thrown);
      }
    }
    if (busiError instanceof DtmFailure || checkError instanceof DtmFailure) {
      try {
        await this.dtm.abort(this.#call());
      } catch (abortError) {
        const cause = busiError ?? checkError!;
        throw new DtmAbortFailed(`${cause.message} (and the abort failed: ${ensureError(abortError).message})`, abortError, { cause });
      }
    } else if (checkError === undefined) {
      await this.submit();
    }
    if (busiError) throw busiError;
    if (checkError) throw checkError;
  }

  /** {@link doAndSubmit} with `business` as a local transaction under the barrier on `pool` (dtm's DoAndSubmitDB). */
  doAndSubmitDB(queryPrepared: string, pool: SqlPool, business: (conn: SqlConnection) => Promise<void>): Promise<void> {
    return this.doAndSubmit(queryPrepared, (barrier) => barrier.callWithPool(pool, business));
  }

  #call() {
    return this.transCall({
      steps: this.#steps,
      payloads: this.#payloads,
      concurrent: this.#concurrent,
      ...(this.#queryPrepared ? { query_prepared: this.#queryPrepared } : {}),
      ...(this.#delay > 0 ? { custom_data: JSON.stringify({ delay: this.#delay }) } : {}),
    });
  }
}
