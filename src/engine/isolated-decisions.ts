import type { Logger } from 'pino';
import type { TransSummary } from '../log/event-log.js';
import { errorReply, OK, type Reply } from './command.js';
import { decideCommand, type Decision, type DeciderContext, type Item } from './command-decider.js';
import type { LiveTransaction } from './live-transaction.js';
import { parkFromBase, settleDraft, type BatchDraft } from './batch-draft.js';
import { isInternal } from './processor-hooks.js';
import { PayloadTooLarge } from '../errors.js';

/**
 * How an error inside one transaction stays inside it while a partition decides a batch (DESIGN
 * §1.3): a command that breaks its machine, its translation or its rendering fails alone, never
 * the batch. A client's command is answered DTX_INTERNAL; dtx's own acting on a transaction (a
 * branch result, a cron pass) parks that transaction instead, so an operator sees it.
 */
export interface IsolationContext {
  readonly decider: DeciderContext;
  readonly logger: Logger;
  readonly now: () => number;
  /** EngineSettings.maxViewChars */
  readonly maxViewChars?: number;
  /** EngineSettings.stateEvery */
  readonly stateEvery?: number;
}

/** Decides `item`; a transaction that could not be loaded (`broken`) or whose decision throws fails alone. */
export function decideIsolated(ctx: IsolationContext, item: Item, drafts: Map<string, BatchDraft>, broken: ReadonlyMap<string, string>): Decision {
  const { cmd } = item;
  const unloadable = broken.get(cmd.gid);
  if (unloadable !== undefined) return { item, reply: isInternal(cmd) ? OK : errorReply(unloadable, 'DTX_INTERNAL'), effects: [] };
  try {
    return decideCommand(ctx.decider, item, drafts);
  } catch (err) {
    ctx.logger.error({ err, gid: cmd.gid, kind: cmd.kind }, 'command could not be decided');
    const current = drafts.get(cmd.gid)?.live ?? ctx.decider.live.get(cmd.gid);
    if (isInternal(cmd) && current !== undefined && current.status !== '') {
      const draft = drafts.get(cmd.gid) ?? { base: current, live: current.fork(), records: [] };
      draft.park ??= `${cmd.kind} could not be decided: ${String(err)}`;
      drafts.set(cmd.gid, draft);
      return { item, reply: OK, effects: [] };
    }
    return { item, reply: errorReply(`internal error deciding ${cmd.kind} for ${cmd.gid}: ${String(err)}`, 'DTX_INTERNAL'), effects: [] };
  }
}

/**
 * The projection row of one transaction's draft. When its changes cannot be rendered they are
 * dropped: client commands get DTX_INTERNAL (DTX_PAYLOAD_TOO_LARGE for a view past the log's bound) and, if acting on it (a branch result, a cron pass)
 * caused them, the transaction is parked instead. Undefined: nothing of it is written.
 */
export function settleIsolated(ctx: IsolationContext, gid: string, draft: BatchDraft, decisions: Decision[], drafts: Map<string, BatchDraft>): TransSummary | undefined {
  const mine = decisions.filter((d) => d.item.cmd.gid === gid);
  // the parked record gets its own id: the failed command must stay retryable after an unpark
  const cmd = `park:${mine.at(-1)?.item.cmd.id ?? gid}`;
  const at = Math.max(ctx.now(), draft.live.context.updateTime || 0);
  const settled = settleDraft(draft, at, cmd, ctx.maxViewChars, ctx.stateEvery);
  if (settled.ok) return settled.summary;
  const tooLarge = settled.error instanceof PayloadTooLarge;
  ctx.logger[tooLarge ? 'warn' : 'error']({ err: settled.error, gid }, 'transaction state cannot be rendered; its changes of this batch are dropped');
  const acting = mine.some((d) => isInternal(d.item.cmd));
  const refusal = tooLarge ? tooLargeReply(settled.error, mine.filter((d) => !isInternal(d.item.cmd)).length) : errorReply(`internal error in transaction ${gid}: ${String(settled.error)}`, 'DTX_INTERNAL');
  for (const d of mine) {
    d.reply = isInternal(d.item.cmd) ? OK : refusal;
    d.effects = [];
    delete d.live;
  }
  if (draft.base === undefined || !acting) {
    drafts.delete(gid);
    return undefined;
  }
  return parkFromBase(draft as BatchDraft & { base: LiveTransaction }, `rendering the transaction failed: ${String(settled.error)}`, at, cmd);
}

/**
 * A view past the log's bound: 413 when one client command made the batch's change; when several
 * did, which of them is too large is not known, so each may retry alone (503, retryable).
 */
function tooLargeReply(err: PayloadTooLarge, clientCommands: number): Reply {
  if (clientCommands <= 1) return errorReply(err.message, err.code);
  return errorReply(`${err.message} (${clientCommands} commands changed it in one batch: retry each alone)`, 'DTX_OVERLOADED');
}
