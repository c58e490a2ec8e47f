/**
 * Outbound invoker port: performs one branch call with dtm's conventions (spec §6) and classifies
 * the answer (spec §6.5). It never throws for branch-side problems: transport errors, timeouts and
 * odd status codes come back as `result: 'ERROR'`. It throws only for programmer errors.
 */
import type { DtmResult } from '../protocol/outcome-table.js';
import type { PayloadWrapper } from '../../machines/index.js';

export interface BranchCall {
  readonly gid: string;
  readonly transType: string;
  readonly branchId: string;
  readonly op: string;
  /** Branch URL; '' means "succeeds without a call" (spec §6.1). */
  readonly url: string;
  /** Transaction protocol: 'http' | 'grpc' | 'json-rpc'. */
  readonly protocol: string;
  /** Raw payload bytes sent verbatim as the request body. */
  readonly payload: Uint8Array;
  /** branch_headers of the transaction (sent as HTTP headers / gRPC metadata). */
  readonly headers: Readonly<Record<string, string>>;
  /** Request timeout in ms (request_timeout of the trans, else config RequestTimeout). */
  readonly timeoutMs: number;
  /** xa commit/rollback are always POST even with an empty body (spec §6.2). */
  readonly forcePost?: boolean;
  /**
   * `payload` is the bytes field `Data` of this protobuf message, encoded before the call whatever
   * the transport (the workflow resume callback of a gRPC workflow, spec §6.6).
   */
  readonly wrapIn?: PayloadWrapper;
  /**
   * Aborted when the call must not start any more (its transaction finished, e.g. force-stopped): a
   * call not yet written to the wire is dropped; one already sent runs to its end.
   */
  readonly signal?: CallCancel;
}

/**
 * What a call reads of its cancellation: an `AbortSignal` fits, and so does the plain flag the
 * effect runner keeps per transaction (an AbortController per transaction was ~1% of the CPU of a
 * saga with branch calls).
 */
export interface CallCancel {
  readonly aborted: boolean;
  readonly reason: unknown;
}

export interface BranchOutcome {
  readonly result: DtmResult;
  /** Body text (HTTP), status message (gRPC) or transport error text. */
  readonly message: string;
  /** HTTP status when an HTTP answer was received. */
  readonly httpStatus?: number;
  /** The call was dropped before it reached the wire (its `signal` was aborted first): no result to record. */
  readonly notStarted?: true;
}

export interface Invoker {
  call(call: BranchCall): Promise<BranchOutcome>;
  /** POSTs a JSON body (alert webhook). Resolves with the HTTP status; never rejects. */
  postJson(url: string, body: unknown, timeoutMs: number): Promise<number | undefined>;
  close(): Promise<void>;
}
