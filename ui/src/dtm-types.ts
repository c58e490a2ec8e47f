/**
 * The shapes the admin UI reads from dtx's HTTP API: dtm's `query`/`all` JSON (spec §2.2, §2.3)
 * and dtx's `/api/dtx/history` audit (src/audit/transaction-history.ts). Every field dtm may omit
 * is optional here.
 */

export type TransStatus = 'prepared' | 'submitted' | 'aborting' | 'succeed' | 'failed';

export const TRANS_STATUSES: readonly TransStatus[] = ['prepared', 'submitted', 'aborting', 'succeed', 'failed'];
export const TRANS_TYPES: readonly string[] = ['saga', 'msg', 'tcc', 'xa', 'workflow'];

/** A transaction is finished once it reached one of these (no more branch calls, no actions). */
export function isFinished(status: string | undefined): boolean {
  return status === 'succeed' || status === 'failed';
}

export interface Transaction {
  readonly id?: number;
  readonly gid: string;
  readonly trans_type?: string;
  readonly status?: string;
  readonly protocol?: string;
  readonly create_time?: string | null;
  readonly update_time?: string | null;
  readonly finish_time?: string;
  readonly rollback_time?: string;
  readonly rollback_reason?: string;
  readonly result?: string;
  /** JSON text of the options given at creation */
  readonly options?: string;
  readonly custom_data?: string;
  readonly query_prepared?: string;
  readonly next_cron_interval?: number;
  readonly next_cron_time?: string;
  readonly steps?: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly payloads?: readonly string[];
  readonly [key: string]: unknown;
}

export interface Branch {
  readonly branch_id?: string;
  readonly op?: string;
  readonly status?: string;
  readonly url?: string;
  readonly bin_data?: string;
  readonly create_time?: string | null;
  readonly update_time?: string | null;
  readonly finish_time?: string;
  readonly rollback_time?: string;
}

export interface QueryResult {
  readonly transaction: Transaction | null;
  readonly branches: readonly Branch[] | null;
}

export interface ListPage {
  readonly transactions: readonly Transaction[] | null;
  readonly next_position: string;
}

export interface TimelineEntry {
  readonly seq: number;
  readonly at: number;
  readonly time: string;
  readonly event: string;
  readonly branch?: string;
  readonly op?: string;
  /** transaction status after this event */
  readonly status: string;
  /** for branch results: ms from the call being issued to its answer being recorded */
  readonly durationMs?: number;
  readonly message?: string;
  /** branch calls this event caused, `branch/op` */
  readonly calls?: readonly string[];
}

export interface LogRecord {
  readonly v: number;
  readonly gid: string;
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly cmd?: string;
}

export interface DiffEntry {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface TransactionHistory {
  readonly gid: string;
  readonly trans_type: string;
  readonly status: string;
  readonly replayed_status: string;
  readonly verified: boolean;
  readonly diff: readonly DiffEntry[];
  readonly timeline: readonly TimelineEntry[];
  readonly events: readonly LogRecord[];
}

/** The branch result an event records (dtm's result words), if it records one. */
export const RESULT_OF_EVENT: Readonly<Record<string, string>> = {
  BranchSucceeded: 'SUCCESS',
  BranchFailed: 'FAILURE',
  BranchOngoing: 'ONGOING',
  BranchErrored: 'ERROR',
};
