import { BranchIdGen } from './branch-id-gen.js';
import { requireBranchContext, type BranchContext } from './branch-context.js';
import { GlobalTransaction, runTwoPhase } from './global-transaction.js';
import { payloadBytes, type BranchResponse, type Payload } from './payload.js';
import type { TransOptions } from './trans-request.js';
import { callBranch } from './transport/branch-caller.js';
import type { DtmServer } from './transport/dtm-server.js';

/**
 * A TCC global transaction in progress (dtm-spec §7.5): each {@link callBranch} registers a branch
 * (its confirm and cancel URLs) and then calls its try. Made by {@link tccGlobalTransaction}, or
 * by {@link tccFromBranch} inside a try handler to add nested branches (`0101`, ...).
 */
export class Tcc extends GlobalTransaction {
  readonly #ids: BranchIdGen;

  constructor(dtm: DtmServer, gid: string, options?: TransOptions, parentBranchId = '') {
    super(dtm, gid, 'tcc', options);
    this.#ids = new BranchIdGen(parentBranchId);
  }

  /**
   * Registers a branch, then calls `tryUrl` with `payload` (HTTP POST, or the gRPC method with the
   * bytes). Resolves with the try's answer; a try answering FAILURE rejects with DtmFailure (and
   * the transaction is aborted when the error leaves the transaction function).
   */
  async callBranch(payload: Payload, tryUrl: string, confirmUrl: string, cancelUrl: string): Promise<BranchResponse> {
    const branchId = this.#ids.next();
    const bytes = payloadBytes(payload);
    await this.dtm.registerBranch({ fields: { gid: this.gid, trans_type: 'tcc', branch_id: branchId, confirm: confirmUrl, cancel: cancelUrl }, payload: bytes });
    return callBranch(this.branchContext(), { url: tryUrl, branchId, op: 'try', payload: bytes, method: 'POST' });
  }
}

/**
 * Runs a TCC global transaction (dtm's TccGlobalTransaction): prepare, then `body(tcc)`, then submit
 * (the server confirms every branch); if `body` throws, abort with its message as the rollback
 * reason (the server cancels every registered branch) and rethrow. Resolves with `body`'s result.
 */
export function tccGlobalTransaction<T>(dtm: DtmServer, gid: string, body: (tcc: Tcc) => Promise<T>, options?: TransOptions): Promise<T> {
  const tcc = new Tcc(dtm, gid, options);
  const call = (reason?: string) => ({ gid, trans_type: 'tcc' as const, options: { ...tcc.options }, ...(reason ? { rollback_reason: reason } : {}) });
  return runTwoPhase(
    () => dtm.prepare(call()),
    () => body(tcc),
    () => dtm.submit(call()),
    (err) => dtm.abort(call(err.message)),
  );
}

/** The transaction of a try handler, to register nested branches (dtm's TccFromQuery / TccFromGrpc). */
export function tccFromBranch(dtm: DtmServer, ctx: BranchContext): Tcc {
  requireBranchContext(ctx, ['gid', 'branch_id']);
  return new Tcc(dtm, ctx.gid, {}, ctx.branch_id);
}
