import { BranchIdGen } from './branch-id-gen.js';
import { GlobalTransaction, runTwoPhase } from './global-transaction.js';
import { payloadBytes, type BranchResponse, type Payload } from './payload.js';
import type { TransOptions } from './trans-request.js';
import { callBranch } from './transport/branch-caller.js';
import type { DtmServer } from './transport/dtm-server.js';

/**
 * An XA global transaction in progress (dtm-spec §7.6): each {@link callBranch} calls a branch's
 * action with `phase2_url` = its URL; the branch prepares an XA transaction in its database and
 * registers itself ({@link xaLocalTransaction}); the server later commits or rolls back every
 * registered branch through that URL.
 */
export class Xa extends GlobalTransaction {
  readonly #ids = new BranchIdGen();

  constructor(dtm: DtmServer, gid: string, options?: TransOptions) {
    super(dtm, gid, 'xa', options);
  }

  /** Calls the action of a new branch (HTTP POST, or the gRPC method) and resolves with its answer. */
  async callBranch(payload: Payload, url: string): Promise<BranchResponse> {
    const branchId = this.#ids.next();
    return callBranch(this.branchContext(), { url, branchId, op: 'action', payload: payloadBytes(payload), method: 'POST', extra: { phase2_url: url } });
  }
}

/**
 * Runs an XA global transaction (dtm's XaGlobalTransaction): prepare, `body(xa)`, then submit (the
 * server commits every registered branch) or, if `body` throws, abort (the server rolls them back)
 * and rethrow. Resolves with `body`'s result.
 */
export function xaGlobalTransaction<T>(dtm: DtmServer, gid: string, body: (xa: Xa) => Promise<T>, options?: TransOptions): Promise<T> {
  const xa = new Xa(dtm, gid, options);
  const call = () => ({ gid, trans_type: 'xa' as const, options: { ...xa.options } });
  return runTwoPhase(
    () => dtm.prepare(call()),
    () => body(xa),
    () => dtm.submit(call()),
    () => dtm.abort(call()),
  );
}
