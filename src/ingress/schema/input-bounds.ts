/**
 * The bounds of every client input, in one place (docs/limits.md lists them; a test checks that the
 * two agree). Each exists so that no accepted value can produce an invalid date, overflow a timer,
 * grow memory without limit or make a branch uncallable. dtm has none of these; where dtm accepts a
 * value above a bound, dtx answers 400 / INVALID_ARGUMENT naming the field instead.
 */

import { MSG_DELAY_MAX_SECONDS } from '../../../machines/index.js';
import { MAX_TOPIC_SUBSCRIBERS } from '../../engine/topic-state.js';
import { MAX_BRANCH_ROWS } from '../../engine/branch-rows.js';

/** One day and one (non-leap) year, seconds. */
const DAY = 86_400;
const YEAR = 365 * DAY;

export const INPUT_BOUNDS = Object.freeze({
  /** gid: characters (dtm's SQL column is varchar(128)). */
  gidMaxChars: 128,
  /** trans_type: a registered type name, `^[a-z][a-z0-9_-]{0,31}$`. */
  transTypeMaxChars: 32,
  /** steps and payloads per transaction. */
  maxSteps: 1000,
  /** keys of one step object (`action`, `compensate`, legacy `data`, ...). */
  maxStepKeys: 8,
  stepKeyMaxChars: 64,
  /** branch URLs, `query_prepared` and every other step value but the legacy `data` payload. */
  urlMaxChars: 2048,
  /** `custom_data`, characters of JSON text. */
  customDataMaxChars: 65_536,
  /** workflow `custom_data` (`{"name","data"}`: the workflow's input as base64), characters: base64 of `branchDataMaxBytes` and the name. */
  workflowCustomDataMaxChars: 1_400_000,
  rollbackReasonMaxChars: 4096,
  /** `req_extra` entries (a workflow submit sends `status`, `rollback_reason`, `result`). */
  reqExtraMaxEntries: 16,
  /** `req_extra` key length. */
  reqExtraKeyMaxChars: 64,
  /** `req_extra` values but `result`, characters (`rollback_reason` is the failed step's error text). */
  reqExtraValueMaxChars: 65_536,
  /** `req_extra.result`, characters (the workflow's output as base64, like a progress's data). */
  reqExtraResultMaxChars: 1_400_000,
  /** `branch_headers`: entries, name and value lengths. */
  maxBranchHeaders: 32,
  headerNameMaxChars: 128,
  headerValueMaxChars: 4096,
  /** `timeout_to_fail`, seconds. */
  timeoutToFailMaxSeconds: YEAR,
  /** `retry_interval`, seconds. */
  retryIntervalMaxSeconds: DAY,
  /** `request_timeout`, seconds (Node timers overflow above 2^31-1 ms, about 24.8 days). */
  requestTimeoutMaxSeconds: DAY,
  /** `retry_limit` and `retry_count`. */
  retryLimitMax: 1000,
  /** msg `custom_data.delay`, seconds. */
  msgDelayMaxSeconds: MSG_DELAY_MAX_SECONDS,
  /** `resetCronTime?timeout=`, seconds. */
  resetTimeoutMaxSeconds: 10 * YEAR,
  /** registerBranch `branch_id`: characters of `[0-9A-Za-z._~-]` (dtm's SDKs generate `01`, `0201`, ...). */
  branchIdMaxChars: 64,
  /** registerBranch: string fields besides gid, trans_type, branch_id and data (`confirm`, `cancel`, `url`, ...). */
  maxBranchFields: 16,
  /** registerBranch `data` (HTTP) / `BusiPayload` (gRPC), bytes. */
  branchDataMaxBytes: 1_048_576,
  /** `all?limit=` and `resetCronTime?limit=`. */
  listLimitMax: 10_000,
  /** `all?position=`: an opaque cursor. */
  positionMaxChars: 64,
  /** topic names (`subscribe?topic=`, `topic://<name>`, `queryKV?key=`, `scanKV?position=`): characters. */
  topicMaxChars: 128,
  /** `subscribe?remark=`, characters. */
  remarkMaxChars: 1024,
  /** subscribers of one topic (a msg step naming it fans out to one row each). */
  maxTopicSubscribers: MAX_TOPIC_SUBSCRIBERS,
  /** branch rows of one transaction: steps after topic fan-out, registered branches (src/engine/branch-rows.ts). */
  maxBranchRows: MAX_BRANCH_ROWS,
  /** JSON-RPC `id`, characters (answers echo it). */
  jsonRpcIdMaxChars: 256,
  /** `scanKV?cat=` and `queryKV?cat=`, characters. */
  kvCatMaxChars: 64,
});

export type InputBounds = typeof INPUT_BOUNDS;
