import { BranchBarrier } from '../barrier/branch-barrier.js';
import { BranchIdGen } from '../branch-id-gen.js';
import { DtmFailure, DtmOngoing, DtmRequestError, DtmTransportError, ensureError, withResultSuffix } from '../errors.js';
import { BranchResponse, payloadBytes, type Payload } from '../payload.js';
import { callBranch } from '../transport/branch-caller.js';
import { describeFetchError } from '../transport/http-dtm-server.js';
import type { DtmServer } from '../transport/dtm-server.js';
import { stepResult, type StepResult } from './step-result.js';

/** A phase-2 callback (commit or rollback of a branch), given the branch's barrier. */
export type Phase2Fn = (barrier: BranchBarrier) => Promise<void>;

export interface WorkflowOptions {
  /** Compensate (call onRollback of) a branch whose action itself answered FAILURE (default false, as dtm). */
  compensateErrorBranch?: boolean;
  /** Timeout of each step's HTTP or gRPC call, ms (default 30 000). */
  timeoutMs?: number;
}

/** Records a step's result with the server (engine side). */
export type SaveStep = (branchId: string, op: string, result: StepResult) => Promise<void>;

/**
 * One execution of a registered workflow (dtm's workflow.Workflow). Your workflow function drives
 * it: {@link newBranch} opens a branch, {@link onRollback}/{@link onCommit} register its phase-2
 * callbacks, and {@link do}, {@link request} or {@link callGrpc} run its action, whose result is
 * recorded with the server: when the workflow is executed again (resumed) a recorded step is not
 * run again, its recorded result is returned.
 */
export class Workflow {
  readonly options: WorkflowOptions;
  readonly #ids = new BranchIdGen();
  #branch = '';
  #op = 'action';
  #added = { action: false, commit: false, rollback: false };
  readonly succeededOps: Array<{ branchId: string; fn: Phase2Fn }> = [];
  readonly failedOps: Array<{ branchId: string; fn: Phase2Fn }> = [];

  constructor(
    readonly name: string,
    readonly gid: string,
    readonly dtm: DtmServer,
    readonly progresses: Map<string, StepResult>,
    readonly saveStep: SaveStep,
    options: WorkflowOptions = {},
  ) {
    this.options = { ...options };
  }

  /** The current branch id (`01`, `02`, ...) and op (`action`, then `commit` or `rollback`). */
  get currentBranch(): string {
    return this.#branch;
  }
  get currentOp(): string {
    return this.#op;
  }

  /** Starts the next branch. Only inside the workflow function, never in phase-2 callbacks. */
  newBranch(): this {
    if (this.#op !== 'action') throw new Error('newBranch() cannot be called in phase-2 callbacks');
    this.#branch = this.#ids.next();
    this.#added = { action: false, commit: false, rollback: false };
    return this;
  }

  /** The compensation of the current branch, run (last branch first) when the workflow fails. */
  onRollback(fn: Phase2Fn): this {
    if (this.#added.rollback) throw new Error('one branch can only add one rollback callback');
    this.#added.rollback = true;
    this.failedOps.push({ branchId: this.#branch, fn });
    return this;
  }

  /** The confirmation of the current branch, run (last branch first) when the workflow succeeds. */
  onCommit(fn: Phase2Fn): this {
    if (this.#added.commit) throw new Error('one branch can only add one commit callback');
    this.#added.commit = true;
    this.succeededOps.push({ branchId: this.#branch, fn });
    return this;
  }

  /** The same callback for commit and rollback. */
  onFinish(fn: (barrier: BranchBarrier, isRollback: boolean) => Promise<void>): this {
    return this.onCommit((bb) => fn(bb, false)).onRollback((bb) => fn(bb, true));
  }

  /** Runs a local action of the current branch once; resolves with its (recorded) output. Throw DtmFailure to fail the workflow. */
  async do(fn: (barrier: BranchBarrier) => Promise<Uint8Array | void>): Promise<Uint8Array> {
    const r = await this.recordedDo(async (bb) => {
      try {
        return stepResult((await fn(bb)) ?? undefined, undefined);
      } catch (err) {
        const e = ensureError(err);
        // a FAILURE records its message, which a resumed execution turns back into the DtmFailure
        return stepResult(e instanceof DtmFailure ? new TextEncoder().encode(e.message) : undefined, e);
      }
    });
    if (r.error) throw r.error;
    return r.data;
  }

  /**
   * An HTTP call of the current branch (dtm's wf.NewRequest()), with the query parameters `gid`,
   * `trans_type`, `branch_id` and `op`. In the action, the result is recorded: 200 → the body;
   * 409 → DtmFailure; 425 → DtmOngoing; another status → DtmRequestError (not recorded).
   */
  async request(url: string, init: { method?: string; body?: Payload; headers?: Record<string, string> } = {}): Promise<BranchResponse> {
    const call = async (): Promise<StepResult> => {
      const u = new URL(url);
      for (const [k, v] of Object.entries({ gid: this.gid, trans_type: 'workflow', branch_id: this.#branch, op: this.#op })) u.searchParams.set(k, v);
      const body = init.body === undefined ? undefined : payloadBytes(init.body);
      let status: number;
      let bytes: Uint8Array;
      try {
        const res = await fetch(u, { method: init.method ?? (body ? 'POST' : 'GET'), headers: { 'content-type': 'application/json', ...init.headers }, ...(body ? { body } : {}), signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
        status = res.status;
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        return stepResult(undefined, new DtmTransportError(`workflow ${this.gid} branch ${this.#branch}: no answer from ${url}: ${describeFetchError(err)}`, url, { cause: err }));
      }
      const text = new TextDecoder().decode(bytes);
      if (status === 425) return stepResult(bytes, new DtmOngoing(withResultSuffix(text, 'ONGOING')));
      if (status === 409) return { status: 'failed', data: bytes, error: new DtmFailure(withResultSuffix(text, 'FAILURE')) };
      if (status !== 200) return stepResult(bytes, new DtmRequestError(`${url}: HTTP ${status} ${text}`, status, undefined, text));
      return stepResult(bytes, undefined);
    };
    const r = this.#op === 'action' ? await this.recordedDo(call) : await call();
    if (r.error) throw r.error;
    return new BranchResponse(r.data);
  }

  /**
   * A gRPC call of the current branch (`host:port/package.Service/Method`, the payload bytes as the
   * request message, dtm's `dtm-*` metadata); in the action the reply (or the FAILURE) is recorded.
   */
  async callGrpc(url: string, payload: Payload): Promise<Uint8Array> {
    const call = async (): Promise<StepResult> => {
      try {
        const ctx = { gid: this.gid, trans_type: 'workflow' as const, dtm: this.dtm.address, protocol: 'grpc' as const, timeoutMs: this.options.timeoutMs ?? 30_000 };
        return stepResult((await callBranch(ctx, { url, branchId: this.#branch, op: this.#op, payload: payloadBytes(payload) })).bytes, undefined);
      } catch (err) {
        const e = ensureError(err);
        return e instanceof DtmFailure ? { status: 'failed', data: new TextEncoder().encode(e.message), error: e } : stepResult(undefined, e);
      }
    };
    const r = this.#op === 'action' ? await this.recordedDo(call) : await call();
    if (r.error) throw r.error;
    return r.data;
  }

  /** Switches to phase 2 (engine side). */
  enterPhase2(op: 'commit' | 'rollback', branchId: string): void {
    this.#op = op;
    this.#branch = branchId;
  }

  /**
   * Runs a step once (dtm's recordedDo): a recorded result is returned as it is; else `fn` runs and
   * a `succeed`/`failed` result is recorded. A branch whose action failed is not compensated unless
   * `compensateErrorBranch`.
   */
  async recordedDo(fn: (barrier: BranchBarrier) => Promise<StepResult>): Promise<StepResult> {
    if (this.#branch === '') throw new Error('call wf.newBranch() before running a step');
    if (this.#op === 'action') {
      if (this.#added.action) throw new Error('one branch can have only one action');
      this.#added.action = true;
    }
    let r = this.progresses.get(`${this.#branch}-${this.#op}`);
    if (r === undefined) {
      r = await fn(BranchBarrier.from({ trans_type: 'workflow', gid: this.gid, branch_id: this.#branch, op: this.#op }));
      try {
        if (r.status !== '') await this.saveStep(this.#branch, this.#op, r);
      } catch (err) {
        r = stepResult(undefined, ensureError(err));
      }
      if (r.error) r = { status: r.status, data: new Uint8Array(), error: r.error };
    }
    const last = this.failedOps.at(-1);
    if (!this.options.compensateErrorBranch && r.status === 'failed' && last?.branchId === this.#branch) this.failedOps.pop();
    return r;
  }
}
