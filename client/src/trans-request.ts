/**
 * The shapes dtm's API takes (dtm-spec §2.1, §3.3.5), as the server validates them: snake_case
 * keys, payloads as text, `custom_data` as JSON text. dtx's request schema accepts exactly these
 * (a contract test parses every body this client sends with the server's own schema).
 */

/** Transaction types dtm knows. */
export type TransType = 'saga' | 'msg' | 'tcc' | 'xa' | 'workflow';

/** The wire protocol of a transaction (`protocol`): how the server calls its branches. */
export type Protocol = 'http' | 'grpc';

/**
 * Options of a global transaction, with dtm's names and units (seconds). All optional; 0/absent
 * means the server's default.
 */
export interface TransOptions {
  /** `submit` waits for the first pass over the branches and reports its outcome (FAILURE when rolled back). */
  wait_result?: boolean;
  /** saga: roll back after this many seconds; msg: query back after it; tcc/xa: abort a prepared one after it. */
  timeout_to_fail?: number;
  /** Base interval between retries of a failed branch call (seconds). */
  retry_interval?: number;
  /** saga: immediate retries of a failing action within one pass before rolling back. */
  retry_limit?: number;
  /** Extra HTTP headers / gRPC metadata the server sends with every branch call. */
  branch_headers?: Record<string, string>;
  /** Timeout of each branch call, and of this client's calls to the server (seconds). */
  request_timeout?: number;
}

/** One step of a saga or msg: branch URLs (`action`, and `compensate` for a saga). */
export type TransStep = Record<string, string>;

/** The body of `prepare`, `submit`, `abort` and `prepareWorkflow` over HTTP (dtm's TransBase). */
export interface TransRequest extends TransOptions {
  gid: string;
  trans_type: TransType;
  custom_data?: string;
  steps?: TransStep[];
  payloads?: string[];
  query_prepared?: string;
  protocol: '' | Protocol;
  concurrent: boolean;
  rollback_reason?: string;
  /** workflow `submit` only: `status`, `rollback_reason`, `result`. */
  req_extra?: Record<string, string>;
}

/** The body of `registerBranch`: a flat object of strings (tcc: confirm/cancel/data; xa: url; workflow: op/status/data). */
export type BranchRegistration = {
  gid: string;
  trans_type: TransType;
  branch_id: string;
} & Record<string, string>;

/** A stored transaction as `prepareWorkflow` answers it (the fields dtm's SDKs read). */
export interface TransSummary {
  gid: string;
  status: string;
  rollback_reason: string;
  /** workflow result, base64 (HTTP only: dtm's gRPC answer leaves it empty). */
  result: string;
}

/** One recorded workflow step as `prepareWorkflow` answers it. */
export interface WorkflowProgress {
  branch_id: string;
  op: string;
  status: string;
  bin_data: Uint8Array;
}

/** The answer of `prepareWorkflow`. */
export interface WorkflowProgresses {
  transaction: TransSummary;
  progresses: WorkflowProgress[];
}

/** The option keys, for copying options without copying anything else. */
export const TRANS_OPTION_KEYS = ['wait_result', 'timeout_to_fail', 'retry_interval', 'retry_limit', 'branch_headers', 'request_timeout'] as const;

/** Checks option values before anything is sent (integers ≥ 0, header values strings). */
export function checkOptions(options: TransOptions): void {
  for (const key of ['timeout_to_fail', 'retry_interval', 'retry_limit', 'request_timeout'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new TypeError(`${key} must be an integer >= 0 (got ${String(v)})`);
  }
  if (options.wait_result !== undefined && typeof options.wait_result !== 'boolean') throw new TypeError('wait_result must be a boolean');
  for (const [k, v] of Object.entries(options.branch_headers ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`branch_headers.${k} must be a string`);
  }
}
