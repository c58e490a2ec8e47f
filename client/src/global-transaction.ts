import { DtmAbortFailed, ensureError } from './errors.js';
import { checkOptions, type TransOptions, type TransType } from './trans-request.js';
import type { BranchCallContext } from './transport/branch-caller.js';
import { callTimeoutMs, DEFAULT_TIMEOUT_MS, type DtmServer, type GlobalTransCall } from './transport/dtm-server.js';

/** What every global transaction has: the server, the gid, the type and dtm's options. */
export abstract class GlobalTransaction {
  readonly options: TransOptions = {};

  constructor(
    readonly dtm: DtmServer,
    readonly gid: string,
    readonly transType: TransType,
    options: TransOptions = {},
  ) {
    if (typeof gid !== 'string' || gid === '') throw new TypeError('gid must be a non-empty string (dtm.newGid() makes one)');
    this.setOptions(options);
  }

  /** Merges options (dtm's names and units, see {@link TransOptions}); checked before anything is sent. */
  setOptions(options: TransOptions): this {
    checkOptions(options);
    Object.assign(this.options, options);
    return this;
  }

  /** The call the transports put on the wire. */
  protected transCall(extra: Omit<GlobalTransCall, 'gid' | 'trans_type' | 'options'> = {}): GlobalTransCall {
    return { gid: this.gid, trans_type: this.transType, options: { ...this.options }, ...extra };
  }

  /** The context of client-side branch calls (try, xa action, query-back). */
  protected branchContext(): BranchCallContext {
    return {
      gid: this.gid,
      trans_type: this.transType,
      dtm: this.dtm.address,
      protocol: this.dtm.protocol,
      ...(this.options.branch_headers ? { branchHeaders: this.options.branch_headers } : {}),
      timeoutMs: callTimeoutMs(this.options, DEFAULT_TIMEOUT_MS),
    };
  }
}

/**
 * Runs `body` between a prepare and a submit, or an abort when it throws (dtm's DeferDo): the
 * shape of tcc and xa global transactions. The error of `body` is rethrown after the abort; if the
 * abort fails too, DtmAbortFailed carries both.
 */
export async function runTwoPhase<T>(prepare: () => Promise<void>, body: () => Promise<T>, submit: () => Promise<void>, abort: (reason: Error) => Promise<void>): Promise<T> {
  await prepare();
  let result: T;
  try {
    result = await body();
  } catch (thrown) {
    const err = ensureError(thrown);
    try {
      await abort(err);
    } catch (abortError) {
      throw new DtmAbortFailed(`${err.message} (and the abort failed: ${ensureError(abortError).message})`, abortError, { cause: err });
    }
    throw err;
  }
  await submit();
  return result;
}
