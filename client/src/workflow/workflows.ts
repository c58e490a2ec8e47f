import { DtmFailure, ensureError, withResultSuffix } from '../errors.js';
import { payloadBytes, type Payload } from '../payload.js';
import type { TransOptions } from '../trans-request.js';
import type { DtmServer, GlobalTransCall } from '../transport/dtm-server.js';
import { progressMap, type StepResult } from './step-result.js';
import { Workflow, type WorkflowOptions } from './workflow.js';

/** A workflow function: resolves with the workflow's result (or nothing), throws DtmFailure to roll back. */
export type WorkflowFn = (wf: Workflow, data: Uint8Array) => Promise<Uint8Array | void>;

export interface WorkflowRegistration {
  /** Options of each execution (compensateErrorBranch, timeoutMs). */
  readonly workflow?: WorkflowOptions;
  /** dtm's transaction options sent with prepareWorkflow (e.g. `retry_interval`: how soon the server resumes it). */
  readonly trans?: TransOptions;
}

/**
 * The workflows of one application (dtm's workflow package, without its global state): register
 * each workflow by name at start-up, then {@link execute} it. The server resumes an unfinished
 * workflow by calling the application's callback (`callbackUrl`: an HTTP URL served with
 * {@link workflowHttpCallback}, or over gRPC `host:port/workflow.Workflow/Execute` served with
 * {@link workflowGrpcImplementation}), which executes it again: recorded steps are not run again.
 */
export class Workflows {
  readonly #handlers = new Map<string, { fn: WorkflowFn; reg: WorkflowRegistration }>();

  constructor(
    readonly dtm: DtmServer,
    /** The resume callback; for gRPC, `host:port` of the application's server is enough. */
    callbackUrl: string,
  ) {
    this.callbackUrl = dtm.protocol === 'grpc' && !callbackUrl.includes('/') ? `${callbackUrl}/workflow.Workflow/Execute` : callbackUrl;
  }

  readonly callbackUrl: string;

  register(name: string, fn: WorkflowFn, registration: WorkflowRegistration = {}): this {
    if (this.#handlers.has(name)) throw new Error(`a handler already exists for ${name}`);
    this.#handlers.set(name, { fn, reg: registration });
    return this;
  }

  /**
   * Executes workflow `name` as transaction `gid`: creates it, or resumes it when it exists. Resolves
   * with the result when it succeeded (a finished one answers its stored result: HTTP only, dtm's gRPC
   * API does not return it); rejects with DtmFailure when it was rolled back, and with the step's
   * error when a step is ONGOING or failed otherwise (the server resumes it later).
   */
  async execute(name: string, gid: string, data: Payload = new Uint8Array()): Promise<Uint8Array> {
    const entry = this.#handlers.get(name);
    if (!entry) throw new Error(`workflow '${name}' not registered. please register at startup`);
    const bytes = payloadBytes(data);
    const call = this.#call(gid, name, bytes, entry.reg.trans ?? {});
    const reply = await this.dtm.prepareWorkflow(call);
    const status = reply.transaction.status;
    if (status === 'succeed') return new Uint8Array(Buffer.from(reply.transaction.result, 'base64'));
    if (status === 'failed') throw new DtmFailure(withResultSuffix(reply.transaction.rollback_reason, 'FAILURE'));
    // `sync` makes dtm write the step at once even with UpdateBranchSync=0 (dtm v1.19.0's default),
    // where it would otherwise queue it for a flusher that only SQL stores have: a resumed execution
    // must find every recorded step
    const save = (branchId: string, op: string, r: StepResult) =>
      this.dtm.registerBranch({ fields: { gid, trans_type: 'workflow', branch_id: branchId, op, status: r.status, sync: '1' }, payload: r.data });
    const wf = new Workflow(name, gid, this.dtm, progressMap(reply.progresses), save, entry.reg.workflow);
    let result: Uint8Array | undefined;
    let error: Error | undefined;
    try {
      result = (await entry.fn(wf, bytes)) ?? undefined;
    } catch (err) {
      error = ensureError(err);
    }
    if (error && !(error instanceof DtmFailure)) throw error;
    error = await phase2(wf, error);
    if (error === undefined || error instanceof DtmFailure) {
      const extra = { status: error ? 'failed' : 'succeed', rollback_reason: error?.message ?? '', result: Buffer.from(result ?? new Uint8Array()).toString('base64') };
      await this.dtm.submit({ ...call, req_extra: extra });
    }
    if (error) throw error;
    return result ?? new Uint8Array();
  }

  #call(gid: string, name: string, data: Uint8Array, options: TransOptions): GlobalTransCall {
    // Go marshals []byte as base64 and a nil slice as null; keys sorted as Go's map encoding does
    const customData = JSON.stringify({ data: data.length > 0 ? Buffer.from(data).toString('base64') : null, name });
    return { gid, trans_type: 'workflow', options: { ...options }, custom_data: customData, query_prepared: this.callbackUrl };
  }
}

/** Runs the commit (no error) or rollback (FAILURE) callbacks, last branch first (dtm's processPhase2). */
async function phase2(wf: Workflow, error: Error | undefined): Promise<Error | undefined> {
  const op = error ? 'rollback' : 'commit';
  const ops = error ? wf.failedOps : wf.succeededOps;
  for (const item of [...ops].reverse()) {
    wf.enterPhase2(op, item.branchId);
    const r = await wf.recordedDo(async (bb) => {
      try {
        await item.fn(bb);
        return { status: 'succeed', data: new Uint8Array() };
      } catch (err) {
        const e = ensureError(err);
        if (e instanceof DtmFailure) throw new Error(`a ${op} callback must not throw DtmFailure (branch ${item.branchId}): retry or succeed`, { cause: e });
        return { status: '', data: new Uint8Array(), error: e };
      }
    });
    if (r.error) return r.error;
  }
  return error;
}
