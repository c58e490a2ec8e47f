/**
 * The answer of prepareWorkflow (spec §5.8, §10.1) from the engine's view text
 * (`{"transaction":{...},"branches":[...]}`, src/engine/trans-view.ts):
 *
 * - HTTP: `{"transaction":{...§2.2},"progresses":[...§2.3]}`. The Go SDK parses it with protojson
 *   (`DiscardUnknown`) into `DtmProgressesReply`, so the keys it reads (`transaction`, `gid`,
 *   `status`, `rollback_reason`, `result`, `progresses`, `branch_id`, `op`, `status`, `bin_data` as
 *   standard base64) keep exactly these names and JSON types; the other keys of dtm's shapes are
 *   extra and ignored by it.
 * - gRPC: `DtmProgressesReply {Transaction {Gid, Status, RollbackReason, Result}, Progresses}`.
 *   dtm leaves `Result` empty there (spec §16.6); dtx fills it, as its HTTP answer does.
 */
import { Internal } from '../errors.js';
import type { Reply } from '../engine/command.js';
import type { DtmProgressesReply, MessageInit } from '../protocol/dtm-proto.js';

interface ViewTransaction {
  readonly gid: string;
  readonly status: string;
  readonly rollback_reason?: string;
  readonly result?: string;
  readonly [key: string]: unknown;
}

interface ViewBranch {
  readonly branch_id: string;
  readonly op: string;
  readonly status: string;
  readonly bin_data?: string;
  readonly [key: string]: unknown;
}

export interface WorkflowProgressBody {
  readonly transaction: ViewTransaction;
  readonly progresses: readonly ViewBranch[];
}

/** The view of a successful prepareWorkflow reply; a reply without one is a bug of the engine. */
function viewOf(reply: Reply & { ok: true }): { transaction: ViewTransaction; branches: ViewBranch[] } {
  if (reply.view === undefined) throw new Internal('prepareWorkflow was answered without the transaction');
  return JSON.parse(reply.view) as { transaction: ViewTransaction; branches: ViewBranch[] };
}

/** HTTP body of a successful prepareWorkflow. */
export function progressBody(reply: Reply & { ok: true }): WorkflowProgressBody {
  const view = viewOf(reply);
  return { transaction: view.transaction, progresses: view.branches };
}

/** gRPC `DtmProgressesReply` of a successful PrepareWorkflow. */
export function progressesReply(reply: Reply & { ok: true }): MessageInit<DtmProgressesReply> {
  const { transaction: t, branches } = viewOf(reply);
  return {
    Transaction: { Gid: t.gid, Status: t.status, RollbackReason: t.rollback_reason ?? '', Result: t.result ?? '' },
    Progresses: branches.map((b) => ({ Status: b.status, BranchID: b.branch_id, Op: b.op, BinData: Buffer.from(b.bin_data ?? '', 'base64') })),
  };
}
