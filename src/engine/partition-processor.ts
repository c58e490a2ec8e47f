import type { Logger } from 'pino';
import { isFinal, outstandingOf, type TransTypeRegistry } from '../../machines/index.js';
import type { EventLog, LogRecord, TransSummary } from '../log/event-log.js';
import type { BatchAppender, BatchInfo } from './batch-appender.js';
import { NotOwner } from '../errors.js';
import type { Command, Reply } from './command.js';
import { errorReply } from './command.js';
import type { Decision, Item } from './command-decider.js';
import { decideIsolated, settleIsolated, type IsolationContext } from './isolated-decisions.js';
import { foldStored, type LiveTransaction } from './live-transaction.js';
import type { EngineSettings } from './engine-settings.js';
import type { WaitRegistry } from './wait-registry.js';
import type { BatchDraft } from './batch-draft.js';
import type { PayloadBudget } from './payload-budget.js';
import { dueOf, isInternal, type ProcessorHooks } from './processor-hooks.js';
import { isReservedGid } from '../log/kv-records.js';
import { TopicBook } from './topic-book.js';

export type { ProcessorHooks } from './processor-hooks.js';

/**
 * One partition's single-threaded loop (DESIGN §1.3): decide a batch of commands against the
 * machines on working copies, append the resulting events durably (group commit), then swap the
 * copies in, reply and act. Batches of one partition never overlap, so each transaction sees its
 * commands in order. An error inside one transaction fails that transaction's commands (and parks
 * it when it happened while acting), never the batch, the partition or the process.
 */
export class PartitionProcessor {
  readonly live = new Map<string, LiveTransaction>();
  /** the partition's topics (reserved keys, docs/topics.md) */
  readonly #topics = new TopicBook();
  #queue: Item[] = [];
  #running = false;
  #closed: Reply | undefined;
  #idle: Array<() => void> = [];
  readonly #isolation: IsolationContext;

  constructor(
    readonly partition: number,
    private readonly log: EventLog,
    private readonly appender: BatchAppender,
    private readonly registry: TransTypeRegistry,
    private readonly settings: EngineSettings,
    private readonly waits: WaitRegistry,
    private readonly hooks: ProcessorHooks,
    private readonly budget: PayloadBudget,
    private readonly logger: Logger,
  ) {
    const now = () => hooks.now();
    this.#isolation = { decider: { live: this.live, topics: this.#topics, registry, limits: settings.limits, budget, now }, logger, now, ...(settings.maxViewChars !== undefined ? { maxViewChars: settings.maxViewChars } : {}), stateEvery: settings.stateEvery ?? 0 };
  }

  get queued(): number {
    return this.#queue.length;
  }

  enqueue(cmd: Command, wait: boolean, accepted?: () => void): Promise<Reply> {
    if (this.#closed !== undefined) return Promise.resolve(this.#closed);
    return new Promise<Reply>((resolve) => {
      this.#queue.push({ cmd, wait, resolve, ...(accepted ? { accepted } : {}) });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  /**
   * Stops taking commands (the partition moved or was fenced, or the engine stops): queued ones
   * are answered with NotOwner (or `reply`); a batch already appending finishes or fails on its own.
   * Held transactions leave the payload budget.
   */
  close(reason: string, reply: Reply = errorReply(reason, NotOwner.code)): void {
    const closed = reply;
    this.#closed = closed;
    for (const item of this.#queue.splice(0)) item.resolve(closed);
    for (const gid of [...this.live.keys()]) this.#drop(gid);
  }

  /** Resolves once no batch is deciding or appending and nothing is queued (graceful stop). */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Adopts a transaction rebuilt by recovery. */
  adopt(live: LiveTransaction): void {
    this.#put(live);
    this.hooks.schedule(live.gid, dueOf(live));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#closed === undefined) {
        const batch = this.#queue.splice(0, this.settings.maxBatch);
        try {
          await this.#process(batch);
        } catch (err) {
          // A bug outside any one transaction's decision: answer the batch, keep the partition.
          this.logger.error({ err }, 'batch failed unexpectedly; its commands are answered DTX_INTERNAL');
          for (const item of batch) item.resolve(errorReply(`internal error: ${String(err)}`, 'DTX_INTERNAL'));
        }
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0 && this.#closed === undefined) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      } else {
        for (const resolve of this.#idle.splice(0)) resolve();
      }
    }
  }

  /** Loads the gids of the batch that are not in memory; one that cannot be folded fails alone. */
  async #load(batch: readonly Item[]): Promise<Map<string, string>> {
    const broken = new Map<string, string>();
    const missing = [...new Set(batch.map((i) => i.cmd.gid))].filter((g) => !this.live.has(g) && !this.#topics.has(g));
    await Promise.all(
      missing.map(async (gid) => {
        const tail = await this.log.readTail(gid);
        if (isReservedGid(gid)) return this.#topics.load(gid, tail.records);
        try {
          const live = foldStored(this.registry, gid, tail);
          if (live !== undefined && !this.live.has(gid)) this.#put(live);
        } catch (err) {
          this.logger.error({ err, gid }, 'transaction cannot be rebuilt from its events');
          broken.set(gid, `transaction ${gid} cannot be rebuilt from its events: ${String(err)}`);
        }
      }),
    );
    return broken;
  }

  async #process(batch: Item[]): Promise<void> {
    this.#topics.discard(); // drafts of a batch that failed unexpectedly
    let broken: Map<string, string>;
    try {
      broken = await this.#load(batch);
    } catch (err) {
      this.logger.error({ err }, 'loading transactions from the log failed');
      for (const item of batch) item.resolve(errorReply(`event log unavailable: ${String(err)}`, 'DTX_LOG_UNAVAILABLE'));
      return;
    }
    const drafts = new Map<string, BatchDraft>();
    const decisions = batch.map((item) => decideIsolated(this.#isolation, item, drafts, broken));
    const records: LogRecord[] = [];
    const summaries: TransSummary[] = [];
    for (const [gid, draft] of drafts) {
      const summary = settleIsolated(this.#isolation, gid, draft, decisions, drafts);
      if (summary === undefined) continue;
      records.push(...draft.records);
      summaries.push(summary);
    }
    records.push(...this.#topics.pending());
    try {
      await this.appender.append(records, summaries, this.#info(batch));
    } catch (err) {
      if (err instanceof NotOwner) {
        this.logger.warn({ err, records: records.length, fenced: err.fenced }, 'partition lost: batch discarded');
        for (const d of decisions) d.item.resolve(errorReply(err.message, NotOwner.code));
        this.#topics.discard();
        this.hooks.lost(this.partition, err.fenced);
        return;
      }
      this.#topics.discard();
      this.hooks.appendFailed(this.partition, err, records.length);
      for (const d of decisions) this.#onAppendFailure(d.item, err);
      return;
    }
    this.#afterCommit(decisions, drafts, records.length);
  }

  #info(batch: readonly Item[]): BatchInfo {
    return { partition: this.partition, commands: batch.map((i) => i.cmd.id) };
  }

  #onAppendFailure(item: Item, err: unknown): void {
    if (isInternal(item.cmd)) {
      // A branch result must not be lost: retry it once the log is back (its id was not remembered).
      this.hooks.later(() => void this.enqueue(item.cmd, false).then(item.resolve), 1000);
      return;
    }
    item.resolve(errorReply(`event log unavailable: ${err instanceof Error ? err.message : String(err)}`, 'DTX_LOG_UNAVAILABLE'));
  }

  #afterCommit(decisions: readonly Decision[], drafts: ReadonlyMap<string, BatchDraft>, records: number): void {
    this.#topics.commit();
    for (const d of drafts.values()) this.#put(d.live);
    if (drafts.size > 0) this.hooks.committed(this.partition, [...drafts.values()].map((d) => d.live), records);
    for (const { base, live } of drafts.values()) {
      this.hooks.schedule(live.gid, dueOf(live));
      if (isFinal(live.status)) this.hooks.cancel(live.gid); // no call may start once the end is durable
      if (isFinal(live.status) && !isFinal(base?.status ?? '')) this.hooks.finished(live);
      if (live.parked !== undefined && base?.parked === undefined) this.hooks.parked(live, live.parked.reason);
      if (base?.parked !== undefined && live.parked === undefined && !isFinal(live.status)) this.hooks.perform(live, outstandingOf(live.def, live.context));
    }
    for (const d of decisions) {
      const live = d.live === undefined ? undefined : (this.live.get(d.live.gid) ?? d.live);
      // an abort waits only when the stored options say wait_result (spec §5.6), and then succeeds once rolled back
      const abort = d.item.cmd.kind === 'abort' || (d.item.cmd.kind === 'awaitResult' && d.item.cmd.call === 'abort');
      if (d.item.wait && d.reply.ok && live !== undefined && (!abort || live.context.options.waitResult)) {
        d.item.accepted?.();
        this.waits.add(live, d.item.resolve, abort ? 'abort' : 'submit'); // a settled pass is answered here
      } else d.item.resolve(d.reply);
    }
    const touched = new Set<LiveTransaction>([...drafts.values()].map((d) => d.live));
    for (const d of decisions) if (d.item.wait && d.live !== undefined && this.waits.has(d.live.gid)) touched.add(this.live.get(d.live.gid) ?? d.live);
    for (const live of touched) this.waits.check(live);
    for (const d of decisions) {
      const live = d.live === undefined ? undefined : this.live.get(d.live.gid);
      if (live === undefined || d.effects.length === 0) continue;
      // calls of a transaction that finished or parked later in the same batch are not made
      const effects = isFinal(live.status) || live.parked !== undefined ? d.effects.filter((e) => e.type !== 'callBranch') : d.effects;
      if (effects.length > 0) this.hooks.perform(live, effects);
    }
    for (const d of decisions) {
      const gid = d.item.cmd.gid;
      const live = this.live.get(gid);
      // Finished transactions leave memory (also those only loaded to answer a command); their
      // history stays in the log, their summary in the projection.
      if (live !== undefined && isFinal(live.status) && !this.waits.has(gid)) this.#drop(gid);
    }
  }

  #put(live: LiveTransaction): void {
    const prev = this.live.get(live.gid);
    if (prev !== undefined) this.budget.release(prev.bytes);
    this.budget.add(live.bytes);
    this.live.set(live.gid, live);
  }

  #drop(gid: string): void {
    const prev = this.live.get(gid);
    if (prev === undefined) return;
    this.budget.release(prev.bytes);
    this.live.delete(gid);
  }
}
