import type { Logger } from 'pino';
import { isFinal, outstandingOf, type Effect, type TransTypeRegistry } from '../../machines/index.js';
import type { EventLog, ListFilter, ListPage } from '../log/event-log.js';
import type { Invoker } from '../invoker/invoker.js';
import type { Command, Reply } from './command.js';
import type { EngineSettings } from './engine-settings.js';
import { GroupCommitter } from './group-commit.js';
import { foldRecords, type LiveTransaction } from './live-transaction.js';
import { partitionOf } from '../log/gid-partitioner.js';
import { PartitionProcessor } from './partition-processor.js';
import type { BatchAppender } from './batch-appender.js';
import { errorReply, SHUTTING_DOWN } from './command.js';
import { NoOwner, NotOwner } from '../errors.js';
import { TimerWheel } from './timer-wheel.js';
import type { Clock } from './clock.js';
import { WaitRegistry } from './wait-registry.js';
import { EffectRunner } from './effect-runner.js';
import { newCommandId } from './command-id.js';
import type { EngineObserver } from './engine-observer.js';
import { PayloadBudget } from './payload-budget.js';
import { expandTopics, isReply } from './topic-expansion.js';
import { settleWithin } from './settle-within.js';
import { logFinished } from './finished-line.js';

/**
 * Where ingress commands go when this process does not decide them itself (Kafka): produced to
 * the command stream and answered by the partition's owner, wherever it runs.
 */
export interface CommandBus {
  send(cmd: Command, wait: boolean): Promise<Reply>;
}

export interface EngineDeps {
  readonly log: EventLog;
  /**
   * 'all' (embedded): this process owns every partition from the start. 'assigned' (Kafka): it owns
   * the partitions handed to it with `assign` until `revoke`; ingress commands go through `bus`.
   */
  readonly ownership?: 'all' | 'assigned';
  readonly bus?: CommandBus;
  /**
   * How batches become durable. Default: the group committer over `log`. The Kafka cluster injects
   * its own (each partition through its fenced producer, with the consumed command offsets).
   */
  readonly appender?: BatchAppender;
  /** Called when the log refused a partition's writes: fenced by another worker, or a commit in doubt. */
  readonly onPartitionLost?: (partition: number, fenced: boolean) => void;
  /** Called after each durable batch with the transactions it changed, in their new state. */
  readonly onCommitted?: (partition: number, touched: readonly LiveTransaction[], records: number) => void;
  readonly registry: TransTypeRegistry;
  readonly invoker: Invoker;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: EngineSettings;
  readonly observer?: EngineObserver;
  /**
   * Effects (branch calls, alerts) wait until this resolves; commands are decided and recorded
   * meanwhile. main.ts resolves it once the ingress listens (see EffectRunner). Default: act at once.
   */
  readonly actAfter?: Promise<unknown>;
}

/**
 * The coordinator core (DESIGN §1): routes each command to the processor that owns its gid's
 * partition, runs the timer wheel, performs effects after their events are durable, and rebuilds
 * every unfinished transaction from the log on start.
 */
export class Engine {
  readonly #processors = new Map<number, PartitionProcessor>();
  readonly #newProcessor: (p: number) => PartitionProcessor;
  readonly #timers: TimerWheel;
  readonly #effects: EffectRunner;
  readonly #logger: Logger;
  readonly #budget: PayloadBudget;
  readonly #waits: WaitRegistry;
  #stopped = false;

  constructor(private readonly deps: EngineDeps) {
    this.#logger = deps.logger.child({ component: 'engine' });
    const committed = deps.observer?.committed?.bind(deps.observer);
    const injected = deps.appender;
    const appender: BatchAppender = injected !== undefined
      ? { append: (r, s, batch) => timed(committed, r.length, injected.append(r, s, batch)) }
      : new GroupCommitter(deps.log, committed);
    const waits = (this.#waits = new WaitRegistry(
      deps.clock,
      (live) => (Math.max(live.context.options.requestTimeout, deps.settings.limits.requestTimeout) + 2) * 1000,
      (gid) => this.#processors.get(this.partitionOf(gid))?.live.get(gid),
    ));
    this.#budget = new PayloadBudget(deps.settings.maxOpenPayloadBytes);
    this.#timers = new TimerWheel(deps.clock, (gid) => void this.#local({ id: newCommandId('cron'), gid, kind: 'cronFired' }));
    this.#effects = new EffectRunner(deps.invoker, deps.settings, deps.logger, (cmd) => void this.#local(cmd), deps.observer, deps.actAfter);
    const hooks = {
      perform: (live: LiveTransaction, effects: readonly Effect[]) => this.#effects.perform(live, effects),
      schedule: (gid: string, at: number | undefined) => this.#timers.set(gid, at),
      now: () => deps.clock.now(),
      later: (fn: () => void, ms: number) => void deps.clock.setTimeout(fn, ms),
      finished: (live: LiveTransaction) => {
        logFinished(this.#logger, live);
        deps.observer?.transactionFinished?.(live.context.transType, live.status, live.context.createTime, live.context.updateTime);
      },
      cancel: (gid: string) => this.#effects.cancel(gid),
      parked: (live: LiveTransaction, reason: string) => {
        this.#logger.error({ gid: live.gid, status: live.status, reason }, 'transaction parked: acting on it failed inside dtx; resetNextCronTime retries it, forceStop ends it');
        deps.observer?.transactionParked?.(live.context.transType);
        this.#effects.alert({ gid: live.gid, status: live.status, branch: '', error: `parked: ${reason}`, retry_count: 0 }, live.context.limits.requestTimeout);
      },
      committed: (p: number, touched: readonly LiveTransaction[], records: number) => deps.onCommitted?.(p, touched, records),
      lost: (p: number, fenced: boolean) => {
        this.revoke(p, fenced ? 'fenced by a newer owner' : 'a commit is in doubt');
        deps.onPartitionLost?.(p, fenced);
      },
    };
    this.#newProcessor = (p) => new PartitionProcessor(p, deps.log, appender, deps.registry, deps.settings, waits, hooks, this.#budget, this.#logger.child({ partition: p }));
    if (deps.ownership !== 'assigned') {
      for (let p = 0; p < deps.settings.partitions; p += 1) this.#processors.set(p, this.#newProcessor(p));
    }
  }

  /**
   * Embedded: rebuilds unfinished transactions and re-drives the calls that were in flight at the
   * crash. Kafka ('assigned'): nothing to do; each partition recovers on `assign`.
   */
  async start(): Promise<{ transactions: number; events: number; ms: number }> {
    if (this.deps.ownership === 'assigned') return { transactions: 0, events: 0, ms: 0 };
    const t0 = performance.now();
    let transactions = 0;
    let events = 0;
    let failed = 0;
    const redrive: Array<[LiveTransaction, Effect[]]> = [];
    for await (const { gid, records } of this.deps.log.scanOpen()) {
      // One transaction that cannot be rebuilt (a bug, a type no longer registered) is left out
      // and reported; it never stops the recovery of the others.
      try {
        const live = foldRecords(this.deps.registry, gid, records);
        if (live === undefined || isFinal(live.status)) continue;
        this.#processors.get(this.partitionOf(gid))!.adopt(live);
        transactions += 1;
        events += records.length;
        const effects = live.parked === undefined ? outstandingOf(live.def, live.context) : [];
        if (effects.length > 0) redrive.push([live, effects]);
      } catch (err) {
        failed += 1;
        this.#logger.error({ err, gid, events: records.length }, 'transaction cannot be rebuilt from its events; left out of recovery (dtx replay shows why)');
        this.deps.observer?.transactionParked?.('unknown');
      }
    }
    for (const [live, effects] of redrive) this.#effects.perform(live, effects);
    const ms = performance.now() - t0;
    this.#logger.info({ transactions, events, redriven: redrive.length, failed, ms: Math.round(ms) }, 'recovery finished');
    return { transactions, events, ms };
  }

  partitionOf(gid: string): number {
    return partitionOf(gid, this.deps.settings.partitions);
  }

  /** Partitions this process decides now, ascending. */
  owned(): number[] {
    return [...this.#processors.keys()].sort((a, b) => a - b);
  }

  /**
   * Takes partition `p` over with its recovered unfinished transactions and re-drives their
   * in-flight calls (Kafka, after the log fenced the previous owner and replayed the partition).
   */
  assign(p: number, recovered: readonly LiveTransaction[]): void {
    if (this.#processors.has(p)) return;
    const proc = this.#newProcessor(p);
    this.#processors.set(p, proc);
    for (const live of recovered) proc.adopt(live);
    for (const live of recovered) {
      const effects = live.parked === undefined ? outstandingOf(live.def, live.context) : [];
      if (effects.length > 0) this.#effects.perform(live, effects);
    }
  }

  /** Drops partition `p`: its commands are answered NotOwner; its timers fire into nothing. */
  revoke(p: number, reason: string): void {
    const proc = this.#processors.get(p);
    if (proc === undefined) return;
    this.#processors.delete(p);
    for (const gid of proc.live.keys()) this.#timers.set(gid, undefined);
    proc.close(`partition ${p} is no longer owned by this worker (${reason}); retry`);
  }

  /** An ingress command, msg topics expanded: decided here (embedded) or by the partition's owner (Kafka). */
  async dispatch(command: Command, wait = false): Promise<Reply> {
    if (this.#stopped) return SHUTTING_DOWN;
    const cmd = await expandTopics(command, this.deps.registry, this.deps.log);
    if (isReply(cmd)) return cmd;
    if (this.deps.bus !== undefined) return this.deps.bus.send(cmd, wait);
    return this.#local(cmd, wait);
  }

  /**
   * A command for partition `p` that arrived from another worker's ingress (Kafka owner side).
   * `accepted`: for a `wait` command, called once it is durable and waits for the outcome.
   */
  deliver(p: number, cmd: Command, wait: boolean, accepted?: () => void): Promise<Reply> {
    const proc = this.#processors.get(p);
    if (proc === undefined) return Promise.resolve(errorReply(`partition ${p} is not owned by this worker; retry`, NotOwner.code));
    return proc.enqueue(cmd, wait, accepted);
  }

  /** Commands queued in partition `p`'s processor (back-pressure for the command consumer). */
  queued(p: number): number {
    return this.#processors.get(p)?.queued ?? 0;
  }

  /** dtm's `query` view text of one transaction, or undefined. Kafka: answered by the owner. */
  async queryView(gid: string): Promise<string | undefined> {
    if (this.deps.bus === undefined) return (await this.deps.log.getSummary(gid))?.view;
    const reply = await this.deps.bus.send({ id: newCommandId('query'), gid, kind: 'query' }, false);
    if (!reply.ok) throw new NoOwner(reply.message);
    return reply.view;
  }

  list(filter: ListFilter): Promise<ListPage> {
    return this.deps.log.list(filter);
  }

  /** resetCronTime (spec §3.3.6): makes transactions scheduled beyond now+timeout due now. */
  async resetCronTime(timeoutSeconds: number, limit: number): Promise<{ succeedCount: number; hasRemaining: boolean }> {
    const after = this.deps.clock.now() + timeoutSeconds * 1000;
    const rows = await this.deps.log.listScheduledAfter(after, limit + 1);
    const chosen = rows.slice(0, limit);
    const replies = await Promise.all(chosen.map((r) => this.dispatch({ id: newCommandId('reset'), gid: r.gid, kind: 'resetNextCronTime' })));
    return { succeedCount: replies.filter((r) => r.ok).length, hasRemaining: rows.length > limit };
  }

  /** Request bytes held by the open transactions of this process (MaxOpenPayloadBytes). */
  openPayloadBytes(): number {
    return this.#budget.used;
  }

  liveCount(): number {
    let n = 0;
    for (const p of this.#processors.values()) n += p.live.size;
    return n;
  }

  /**
   * Graceful stop. New ingress commands are answered 503 `DTX_SHUTTING_DOWN` at once; timers stop.
   * For up to `graceMs` the transactions in flight go on: branch calls out answer, their results
   * are appended and applied (and may start the next calls), so a wait_result client whose pass
   * settles gets its result. Then queued commands and appends in progress finish, the partitions
   * close, and every wait_result still waiting is answered `DTX_SHUTTING_DOWN` (retryable). What is
   * durable goes on after the restart: recovery re-drives calls whose results were not recorded.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopped = true;
    this.#timers.stop();
    const deadline = Date.now() + graceMs;
    const left = () => Math.max(0, deadline - Date.now());
    await settleWithin(this.#effects.drain(), left());
    const processors = [...this.#processors.values()];
    await settleWithin(Promise.all(processors.map((p) => p.idle())), Math.max(left(), 1000));
    for (const p of processors) p.close('dtx is shutting down', SHUTTING_DOWN);
    this.#waits.failAll(SHUTTING_DOWN);
  }

  /** Commands born here (timers, branch results): only the owner decides them; else dropped. */
  #local(cmd: Command, wait = false): Promise<Reply> {
    const proc = this.#processors.get(this.partitionOf(cmd.gid));
    if (proc === undefined) {
      this.#logger.debug({ gid: cmd.gid, kind: cmd.kind }, 'command for a partition this worker does not own dropped');
      return Promise.resolve(errorReply(`partition of ${cmd.gid} is not owned by this worker`, NotOwner.code));
    }
    return proc.enqueue(cmd, wait);
  }
}

async function timed(observe: ((records: number, ms: number) => void) | undefined, records: number, append: Promise<void>): Promise<void> {
  const t0 = performance.now();
  await append;
  observe?.(records, performance.now() - t0);
}
