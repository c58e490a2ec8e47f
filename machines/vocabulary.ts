/**
 * The shared vocabulary of every transaction machine: the events it folds (which are exactly the
 * events stored in the log), the effects it names, and the context shape. Custom transaction types
 * use the same vocabulary, so they get persistence, replay, the invoker and timers for free.
 * Durations are seconds (dtm's unit); instants are ms since the epoch, taken from event `at`.
 */

export type TransStatus = 'prepared' | 'submitted' | 'aborting' | 'succeed' | 'failed';
export type BranchStatus = 'prepared' | 'succeed' | 'failed';
export type CallResult = 'SUCCESS' | 'FAILURE' | 'ONGOING' | 'ERROR';

/** Coordinator settings captured at creation, so a replay never depends on today's config. */
export interface Limits {
  readonly retryInterval: number;
  readonly timeoutToFail: number;
  readonly requestTimeout: number;
  readonly maxRetryInterval: number;
  readonly alertRetryLimit: number;
}

export interface TransOptions {
  readonly waitResult: boolean;
  readonly timeoutToFail: number;
  readonly requestTimeout: number;
  readonly retryInterval: number;
  readonly branchHeaders: Readonly<Record<string, string>>;
  readonly retryLimit: number;
  /** msg only (saga reads custom_data.concurrent, spec §16.15). */
  readonly concurrent: boolean;
}

/** What a client asked to create; validated by ingress, stored in `TransCreated`. */
export interface TransSpec {
  readonly gid: string;
  readonly transType: string;
  readonly protocol: string;
  readonly steps: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Branch payloads, base64 (binary-safe for gRPC). */
  readonly payloads: readonly string[];
  readonly customData: string;
  readonly queryPrepared: string;
  readonly options: TransOptions;
  readonly rollbackReason: string;
  /**
   * msg: the subscriber URLs of each topic a `topic://<name>` step names, recorded by the engine
   * when the request arrived (spec §7.4.1); rows are built from it, never from today's topics.
   */
  readonly topicUrls?: Readonly<Record<string, readonly string[]>>;
  /**
   * `req_extra` of the request (spec §2.1), present only when the client sent entries: a workflow
   * submit carries `status` (succeed | failed), `rollback_reason` and `result` (spec §5.4).
   */
  readonly reqExtra?: Readonly<Record<string, string>>;
}

export interface BranchResultFields {
  readonly branchId: string;
  readonly op: string;
  /** Matches the attempt of the call it answers; stale answers are ignored. */
  readonly attempt: number;
  readonly message?: string;
}

/** The registration fields holding branch URLs (tcc `confirm`/`cancel`, xa `url`): dtx calls them later. */
export const BRANCH_URL_FIELDS: readonly string[] = ['confirm', 'cancel', 'url'];

/**
 * A client's `registerBranch` (spec §3.3.5, §5.5) as it arrived: the machine of the stored type
 * decides which rows it adds (tcc `[cancel, confirm]`, xa `[rollback, commit]`) or refuses it.
 */
export interface BranchRegistration {
  /** trans_type of the request (may differ from the stored type: the machine decides). */
  readonly requestType: string;
  readonly branchId: string;
  /** The request's other string fields: `confirm`/`cancel` (tcc), `url` (xa), `op`/`status` (workflow), ... */
  readonly fields: Readonly<Record<string, string>>;
  /** base64 payload: HTTP `data` as UTF-8, gRPC `BusiPayload` bytes. */
  readonly payload: string;
}

/** Machine input events == stored log events (type + at + data). */
export type TransEvent =
  | { readonly type: 'TransCreated'; readonly at: number; readonly status: 'prepared' | 'submitted'; readonly spec: TransSpec; readonly limits: Limits }
  | { readonly type: 'TransSubmitted'; readonly at: number; readonly spec?: TransSpec }
  | { readonly type: 'TransAborted'; readonly at: number; readonly requestType: string; readonly reason: string }
  | { readonly type: 'TransForceStopped'; readonly at: number }
  | { readonly type: 'CronReset'; readonly at: number }
  | { readonly type: 'CronFired'; readonly at: number }
  | ({ readonly type: 'BranchRegistered'; readonly at: number } & BranchRegistration)
  | ({ readonly type: 'BranchSucceeded'; readonly at: number } & BranchResultFields)
  | ({ readonly type: 'BranchFailed'; readonly at: number } & BranchResultFields)
  | ({ readonly type: 'BranchOngoing'; readonly at: number } & BranchResultFields)
  | ({ readonly type: 'BranchErrored'; readonly at: number } & BranchResultFields);

export type TransEventType = TransEvent['type'];
export type BranchResultEvent = Extract<TransEvent, { attempt: number }>;

export const TRANS_EVENT_TYPES: readonly TransEventType[] = [
  'TransCreated', 'TransSubmitted', 'TransAborted', 'TransForceStopped', 'CronReset', 'CronFired',
  'BranchRegistered', 'BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored',
];

export const BRANCH_EVENT_OF: Readonly<Record<CallResult, BranchResultEvent['type']>> = {
  SUCCESS: 'BranchSucceeded',
  FAILURE: 'BranchFailed',
  ONGOING: 'BranchOngoing',
  ERROR: 'BranchErrored',
};

/**
 * A protobuf message a call's payload is wrapped in by the invoker, as the bytes field `Data`:
 * `workflow.WorkflowData` for the workflow resume callback of a gRPC workflow (spec §6.6).
 */
export type PayloadWrapper = 'workflow.WorkflowData';
export const PAYLOAD_WRAPPERS: readonly PayloadWrapper[] = ['workflow.WorkflowData'];

/** Effects a machine names; the engine performs them after the events are durable. */
export interface CallBranchParams {
  readonly branchId: string;
  readonly op: string;
  readonly url: string;
  readonly attempt: number;
  /** base64 payload */
  readonly payload: string;
  readonly forcePost?: boolean;
  /** Wrap the payload in this message before the call (the invoker encodes it with dtm's protos). */
  readonly wrapIn?: PayloadWrapper;
}
export interface AlertParams {
  readonly gid: string;
  readonly status: string;
  readonly branch: string;
  readonly error: string;
  readonly retry_count: number;
}
export interface RejectParams {
  /** FAILURE → 409 / Aborted; ERROR → 500 / Unknown (dtm's mapping). */
  readonly result: 'FAILURE' | 'ERROR';
  readonly message: string;
  /** Stable dtx error code when the rejection is a dtx addition (e.g. DTX_DUPLICATE_GID). */
  readonly code?: string;
}
export type Effect =
  | { readonly type: 'callBranch'; readonly params: CallBranchParams }
  | { readonly type: 'notify'; readonly params: AlertParams }
  | { readonly type: 'reject'; readonly params: RejectParams };

export const EFFECT_TYPES: readonly Effect['type'][] = ['callBranch', 'notify', 'reject'];
