/**
 * How one command is decided inside a partition's batch (DESIGN §1.3): against the batch's working
 * copy of its transaction (a BatchDraft) or the one in memory, through the machine's pure step.
 * The result is a Decision — the reply, the transaction it touched and the effects to perform once
 * the batch is durable; the events it adds go to the draft. Nothing here does I/O.
 */
import { isFinal, type Effect, type Limits, type TransContext, type TransTypeRegistry } from '../../machines/index.js';
import { MAX_BRANCH_ROWS, tooManyRows } from './branch-rows.js';
import { isReservedGid } from '../log/kv-records.js';
import { asErrorCode } from '../protocol/error-table.js';
import type { BatchDraft } from './batch-draft.js';
import type { Command, Reply } from './command.js';
import { OK, errorReply } from './command.js';
import { notFound, translate } from './command-event.js';
import { recordOfEvent, registrationBytes, specBytes, type LiveTransaction } from './live-transaction.js';
import type { PayloadBudget } from './payload-budget.js';
import { isInternal } from './processor-hooks.js';
import type { TopicBook } from './topic-book.js';
import { renderView } from './trans-view.js';

/** One queued command of a partition and the caller waiting for its reply. */
export interface Item {
  readonly cmd: Command;
  readonly wait: boolean;
  readonly resolve: (r: Reply) => void;
  /** a `wait` command: called once it is durable and its caller waits for the outcome */
  readonly accepted?: () => void;
}

export interface Decision {
  readonly item: Item;
  reply: Reply;
  live?: LiveTransaction;
  effects: readonly Effect[];
}

/** What a decision reads: the partition's transactions and topics, the machines, the limits, the clock. */
export interface DeciderContext {
  readonly live: ReadonlyMap<string, LiveTransaction>;
  readonly topics: TopicBook;
  readonly registry: TransTypeRegistry;
  readonly limits: Limits;
  readonly budget: PayloadBudget;
  readonly now: () => number;
}

/** Decides `item`; a transaction it changes gets (or extends) its draft in `drafts`. Throws on a machine error (the caller parks or fails it). */
export function decideCommand(ctx: DeciderContext, item: Item, drafts: Map<string, BatchDraft>): Decision {
  const { cmd } = item;
  if (isReservedGid(cmd.gid)) return { item, reply: ctx.topics.decide(cmd, ctx.now()), effects: [] };
  const draft = drafts.get(cmd.gid);
  const live = draft?.live ?? ctx.live.get(cmd.gid);
  if (cmd.kind === 'query' || cmd.kind === 'awaitResult') {
    const known = live !== undefined && live.status !== '';
    if (cmd.kind === 'awaitResult') return known ? { item, reply: OK, live, effects: [] } : { item, reply: notFound(cmd.gid), effects: [] };
    return { item, reply: known ? viewReply(live!) : { ok: true }, effects: [] };
  }
  // prepareWorkflow of a known gid (any type, any status) answers the stored state, records nothing (spec §5.8)
  if (cmd.kind === 'prepareWorkflow' && live !== undefined && live.status !== '') return { item, reply: viewReply(live), effects: [] };
  // duplicate delivery (a command sent again after its first owner was lost): applied once; a
  // wait_result caller still waits for the outcome
  if (live?.cmds.has(cmd.id)) return { item, reply: OK, live, effects: [] };
  if (live?.parked !== undefined && isInternal(cmd)) return { item, reply: OK, effects: [] }; // parked: not acting
  const at = Math.max(ctx.now(), live?.context.updateTime ?? 0);
  const t = translate(cmd, live, at, ctx.registry, ctx.limits);
  if ('reply' in t) return { item, reply: t.reply, effects: [] };
  const held = t.created && 'spec' in cmd ? specBytes(cmd.spec) : cmd.kind === 'registerBranch' ? registrationBytes(cmd.registration) : 0;
  if (held > 0 && ctx.budget.exceeds(held + pendingBytes(drafts))) {
    return { item, reply: errorReply(`open transactions hold MaxOpenPayloadBytes (${ctx.budget.cap} bytes); retry later`, 'DTX_OVERLOADED'), effects: [] };
  }
  const [next, effects] = t.live.step(t.event);
  const reject = effects.find((e) => e.type === 'reject');
  if (reject !== undefined) {
    const p = reject.params;
    const code = asErrorCode(p.code);
    return { item, reply: { ok: false, result: p.result, message: p.message, ...(code ? { code } : {}) }, effects: [] };
  }
  if (next === t.live.snapshot) return { item, reply: OK, live: t.live, effects: [] }; // accepted, nothing to record
  // A finished transaction takes no more events (a custom machine's change is refused): its history
  // is complete, and Store.PruneFinishedAfter may delete it whole at any time (finished-prune.ts).
  if (!t.created && isFinal(t.live.status)) {
    return { item, reply: { ok: false, result: 'FAILURE', message: `current status '${t.live.status}': a finished transaction takes no more events. FAILURE`, code: 'DTX_INVALID_TRANSITION' }, effects: [] };
  }
  const rows = (next.context as TransContext).branches.length;
  if (rows > MAX_BRANCH_ROWS && rows > t.live.context.branches.length) {
    return { item, reply: errorReply(tooManyRows(rows, cmd.kind === 'registerBranch' ? 'branch_id' : 'steps'), 'DTX_BAD_REQUEST'), effects: [] };
  }
  const d = draft ?? { base: t.created ? undefined : t.live, live: t.created ? t.live : t.live.fork(), records: [] };
  drafts.set(cmd.gid, d);
  d.live.seq += 1;
  d.records.push(recordOfEvent(cmd.gid, d.live.seq, t.event, cmd.id));
  d.live.snapshot = next;
  d.live.remember(cmd.id);
  d.live.settleParking(t.event.type);
  return { item, reply: cmd.kind === 'prepareWorkflow' ? viewReply(d.live) : OK, live: d.live, effects };
}

/** A successful reply carrying the transaction's dtm view (query, prepareWorkflow). */
function viewReply(live: LiveTransaction): Reply {
  return { ok: true, view: renderView(live.context, live.status, live.parked) };
}

function pendingBytes(drafts: ReadonlyMap<string, BatchDraft>): number {
  let n = 0;
  for (const d of drafts.values()) if (d.base === undefined) n += d.live.bytes;
  return n;
}
