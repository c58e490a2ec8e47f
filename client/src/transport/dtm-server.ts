import type { BranchRegistration, Protocol, TransOptions, TransStep, TransType, WorkflowProgresses } from '../trans-request.js';

/**
 * A global transaction as this client sends it, before a transport puts it on the wire: HTTP turns
 * it into dtm's JSON TransBase (payloads as text), gRPC into a `dtmgimp.DtmRequest` (payloads as bytes).
 */
export interface GlobalTransCall {
  readonly gid: string;
  readonly trans_type: TransType;
  readonly options: Readonly<TransOptions>;
  readonly steps?: readonly TransStep[];
  readonly payloads?: readonly Uint8Array[];
  readonly custom_data?: string;
  readonly query_prepared?: string;
  /** msg only (HTTP only: dtm's gRPC API has no such field). */
  readonly concurrent?: boolean;
  readonly rollback_reason?: string;
  /** workflow `submit`: status, rollback_reason, result. */
  readonly req_extra?: Readonly<Record<string, string>>;
}

/** A registerBranch call: the flat strings of dtm's HTTP body, plus the payload as bytes. */
export interface BranchRegistrationCall {
  readonly fields: Readonly<BranchRegistration>;
  /** tcc `data` / workflow step result: sent as the `data` string over HTTP, `BusiPayload` bytes over gRPC. */
  readonly payload?: Uint8Array;
}

/**
 * dtm's API (dtx or dtm itself) over one protocol. {@link httpDtm} and {@link grpcDtm} make one.
 * Each call resolves when the server answered SUCCESS and otherwise rejects with a typed error
 * (errors.ts): DtmFailure, DtmOngoing, DtmTransportError or DtmRequestError.
 */
export interface DtmServer {
  /** The protocol of the transactions created through this server: how it calls their branches. */
  readonly protocol: Protocol;
  /** The HTTP API base URL (`http://host:36789/api/dtmsvr`) or the gRPC target (`host:36790`). */
  readonly address: string;
  /** A fresh gid from the server. */
  newGid(): Promise<string>;
  prepare(call: GlobalTransCall): Promise<void>;
  submit(call: GlobalTransCall): Promise<void>;
  abort(call: GlobalTransCall): Promise<void>;
  registerBranch(call: BranchRegistrationCall): Promise<void>;
  /** Creates a workflow, or answers the stored one with its recorded steps. */
  prepareWorkflow(call: GlobalTransCall): Promise<WorkflowProgresses>;
  /** Releases connections (gRPC channels, HTTP keep-alive sockets). */
  close(): void;
}

/** Client-side settings of a DtmServer. */
export interface DtmServerOptions {
  /**
   * Timeout of each call to the server, ms (default 30 000). A transaction's `request_timeout`
   * replaces it for that transaction's calls, as in dtm's SDKs.
   */
  readonly timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The timeout of one call: the transaction's request_timeout (seconds) or the server default. */
export function callTimeoutMs(options: Readonly<TransOptions> | undefined, fallbackMs: number): number {
  const s = options?.request_timeout;
  return s !== undefined && s > 0 ? s * 1000 : fallbackMs;
}
