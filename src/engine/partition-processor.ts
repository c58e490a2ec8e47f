import type { Logger } from 'pino';
import type { AnyMachineSnapshot } from 'xstate';
import { dueAtOf, isFinal, type Effect, type TransStatus, type TransTypeRegistry } from '../../machines/index.js';
import type { AppendContext, EventLog, LogRecord, TransSummary } from '../log/event-log.js';
import { NotOwner } from '../errors.js';
import type { Command, Reply } from './command.js';
import { errorReply, OK } from './command.js';
import { notFound, translate } from './command-event.js';
import { foldRecords, recordOfEvent, type LiveTransaction } from './live-transaction.js';
import type { EngineSettings } from './engine-settings.js';
import { renderView, summaryOf } from './trans-view.js';
import type { WaitRegistry } from './wait-registry.js';

export interface ProcessorHooks {
  /** Performs the effects of durable events (invoker, webhook). */
  perform(live: LiveTransaction, effects: readonly Effect[]): void;
  /** Sets or clears the due time of a transaction. */
  schedule(gid: string, at: number | undefined): void;
  now(): number;
  /** A transaction reached succeed/failed in this batch. */
  finished(live: LiveTransaction): void;
  /** The log refused this partition's writes: another worker owns it now (fenced), or a commit is in doubt. */
  lost(partition: number, fenced: boolean): void;
  /** A batch is durable and applied: `touched` changed in it (snapshots are taken from here). */
  committed(partition: number, touched: readonly LiveTransaction[], records: number): void;
}

/** Durable append of one batch: the group committer (embedded) or the log itself (per partition). */
export interface BatchAppender {
  append(records: readonly LogRecord[], summaries: readonly TransSummary[], context: AppendContext): Promise<void>;
}

interface Item {
  readonly cmd: Command;
  readonly wait: boolean;
  /** offset of the command in the partition's command stream (Kafka), when it came from there */
  readonly offset?: string;
  readonly resolve: (r: Reply) => void;
}

interface Decision {
  readonly item: Item;
  readonly reply: Reply;
  readonly live?: LiveTransaction;
  readonly effects: readonly Effect[];
}

/**
 * One partition's single-threaded loop (DESIGN §1.3): decide a batch of commands against the
 * machines, append the resulting events durably (group commit), then apply, reply and act.
 * Batches of one partition never overlap, so each transaction sees its commands in order.
 */
export class PartitionProcessor {
  readonly live = new Map<string, LiveTransaction>();
  #queue: Item[] = [];
  #running = false;
  #closed: Reply | undefined;

  constructor(
    readonly partition: number,
    private readonly log: EventLog,
    private readonly appender: BatchAppender,
    private readonly registry: TransTypeRegistry,
    private readonly settings: EngineSettings,
    private readonly waits: WaitRegistry,
    private readonly hooks: ProcessorHooks,
    private readonly logger: Logger,
  ) {}

  get queued(): number {
    return this.#queue.length;
  }

  enqueue(cmd: Command, wait: boolean, offset?: string): Promise<Reply> {
    if (this.#closed !== undefined) return Promise.resolve(this.#closed);
    return new Promise<Reply>((resolve) => {
      this.#queue.push(offset === undefined ? { cmd, wait, resolve } : { cmd, wait, offset, resolve });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  /**
   * Stops taking commands (the partition moved or was fenced): queued ones are answered with
   * NotOwner; a batch already appending finishes or fails on its own.
   */
  close(reason: string): void {
    this.#closed = { ok: false, result: 'ERROR', message: reason, code: NotOwner.code, httpStatus: 503 };
    for (const item of this.#queue.splice(0)) item.resolve(this.#closed);
  }

  /** Adopts a transaction rebuilt by recovery. */
  adopt(live: LiveTransaction): void {
    this.live.set(live.gid, live);
    this.hooks.schedule(live.gid, dueAtOf(live.def, live.context, live.status as TransStatus));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#closed === undefined) {
        const batch = this.#queue.splice(0, this.settings.maxBatch);
        await this.#process(batch);
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    }
  }

  async #load(batch: readonly Item[]): Promise<void> {
    const missing = [...new Set(batch.map((i) => i.cmd.gid))].filter((g) => !this.live.has(g));
    await Promise.all(
      missing.map(async (gid) => {
        const live = foldRecords(this.registry, gid, await this.log.read(gid));
        if (live !== undefined && !this.live.has(gid)) this.live.set(gid, live);
      }),
    );
  }

  async #process(batch: Item[]): Promise<void> {
    try {
      await this.#load(batch);
    } catch (err) {
      this.logger.error({ err }, 'loading transactions from the log failed');
      for (const item of batch) item.resolve(errorReply(`event log unavailable: ${String(err)}`, 'DTX_LOG_UNAVAILABLE', 503));
      return;
    }
    const before = new Map<string, { snapshot: AnyMachineSnapshot; seq: number; created: boolean }>();
    const records: LogRecord[] = [];
    const decisions = batch.map((item) => this.#decideSafely(item, before, records));
    const summaries: TransSummary[] = [];
    for (const gid of before.keys()) summaries.push(summaryOf(this.live.get(gid)!));
    try {
      await this.appender.append(records, summaries, this.#context(batch));
    } catch (err) {
      this.#rollback(before);
      if (err instanceof NotOwner) {
        this.logger.warn({ err, records: records.length, fenced: err.fenced }, 'partition lost: batch discarded');
        for (const d of decisions) d.item.resolve(errorReply(err.message, NotOwner.code, 503));
        this.hooks.lost(this.partition, err.fenced);
        return;
      }
      this.logger.error({ err, records: records.length }, 'append failed; batch rejected');
      for (const d of decisions) this.#onAppendFailure(d.item, err);
      return;
    }
    this.#afterCommit(decisions, before, records.length);
  }

  /** The partition and, for commands from the command stream, the next offset to commit with the batch. */
  #context(batch: readonly Item[]): AppendContext {
    let last: bigint | undefined;
    for (const item of batch) if (item.offset !== undefined && (last === undefined || BigInt(item.offset) > last)) last = BigInt(item.offset);
    return last === undefined ? { partition: this.partition } : { partition: this.partition, consumed: String(last + 1n) };
  }

  /** A command that breaks a machine or the translation (a bug, a malformed record) fails alone. */
  #decideSafely(item: Item, before: Map<string, { snapshot: AnyMachineSnapshot; seq: number; created: boolean }>, records: LogRecord[]): Decision {
    try {
      return this.#decide(item, before, records);
    } catch (err) {
      this.logger.error({ err, gid: item.cmd.gid, kind: item.cmd.kind }, 'command could not be decided; answered DTX_INTERNAL');
      return { item, reply: errorReply(`internal error deciding ${item.cmd.kind} for ${item.cmd.gid}: ${String(err)}`, 'DTX_INTERNAL'), effects: [] };
    }
  }

  #decide(item: Item, before: Map<string, { snapshot: AnyMachineSnapshot; seq: number; created: boolean }>, records: LogRecord[]): Decision {
    const { cmd } = item;
    let live = this.live.get(cmd.gid);
    if (cmd.kind === 'query' || cmd.kind === 'awaitResult') {
      const known = live !== undefined && live.status !== '';
      if (cmd.kind === 'awaitResult') return known ? { item, reply: OK, live, effects: [] } : { item, reply: notFound(cmd.gid), effects: [] };
      return { item, reply: known ? { ok: true, view: renderView(live!.context, live!.status) } : { ok: true }, effects: [] };
    }
    if (live?.cmds.has(cmd.id)) return { item, reply: OK, effects: [] }; // duplicate delivery
    const at = Math.max(this.hooks.now(), live?.context.updateTime ?? 0);
    const t = translate(cmd, live, at, this.registry, this.settings.limits);
    if ('reply' in t) return { item, reply: t.reply, effects: [] };
    live = t.live;
    const [next, effects] = live.step(t.event);
    const reject = effects.find((e) => e.type === 'reject');
    if (reject !== undefined) {
      const p = reject.params;
      return { item, reply: { ok: false, result: p.result, message: p.message, ...(p.code ? { code: p.code } : {}) }, effects: [] };
    }
    if (next === live.snapshot) return { item, reply: OK, live, effects: [] }; // accepted, nothing to record
    if (!before.has(cmd.gid)) before.set(cmd.gid, { snapshot: live.snapshot, seq: live.seq, created: t.created });
    if (t.created) this.live.set(cmd.gid, live);
    live.seq += 1;
    records.push(recordOfEvent(cmd.gid, live.seq, t.event, cmd.id));
    live.snapshot = next;
    live.remember(cmd.id);
    return { item, reply: OK, live, effects };
  }

  #rollback(before: Map<string, { snapshot: AnyMachineSnapshot; seq: number; created: boolean }>): void {
    for (const [gid, b] of before) {
      const live = this.live.get(gid);
      if (live === undefined) continue;
      if (b.created) this.live.delete(gid);
      live.snapshot = b.snapshot;
      live.seq = b.seq;
    }
  }

  #onAppendFailure(item: Item, err: unknown): void {
    const internal = item.cmd.kind === 'branchResult' || item.cmd.kind === 'cronFired';
    if (internal) {
      // A branch result must not be lost: retry it once the log is back.
      setTimeout(() => void this.enqueue(item.cmd, false).then(item.resolve), 1000).unref();
      return;
    }
    item.resolve(errorReply(`event log unavailable: ${err instanceof Error ? err.message : String(err)}`, 'DTX_LOG_UNAVAILABLE', 503));
  }

  #afterCommit(decisions: readonly Decision[], before: Map<string, { snapshot: AnyMachineSnapshot }>, records: number): void {
    if (before.size > 0) this.hooks.committed(this.partition, [...before.keys()].map((gid) => this.live.get(gid)!), records);
    for (const [gid, b] of before) {
      const live = this.live.get(gid)!;
      this.hooks.schedule(gid, dueAtOf(live.def, live.context, live.status as TransStatus));
      if (isFinal(live.status) && !isFinal(String(b.snapshot.value))) this.hooks.finished(live);
    }
    for (const d of decisions) {
      if (d.item.wait && d.reply.ok && d.live !== undefined) this.waits.add(d.live, d.item.resolve);
      else d.item.resolve(d.reply);
    }
    const touched = new Set<LiveTransaction>();
    for (const gid of before.keys()) touched.add(this.live.get(gid)!);
    for (const d of decisions) if (d.item.wait && d.live !== undefined) touched.add(d.live);
    for (const live of touched) this.waits.check(live);
    for (const d of decisions) if (d.live !== undefined && d.effects.length > 0) this.hooks.perform(d.live, d.effects);
    for (const d of decisions) {
      const gid = d.item.cmd.gid;
      const live = this.live.get(gid);
      // Finished transactions leave memory (also those only loaded to answer a command); their
      // history stays in the log, their summary in the projection.
      if (live !== undefined && isFinal(live.status) && !this.waits.has(gid)) this.live.delete(gid);
    }
  }
}
