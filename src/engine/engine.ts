import type { Logger } from 'pino';
import { outstandingOf, type TransTypeRegistry } from '../../machines/index.js';
import type { EventLog, ListFilter, ListPage } from '../log/event-log.js';
import type { Invoker } from '../invoker/invoker.js';
import type { Command, CommandBus, Reply } from './command.js';
import type { EngineSettings } from './engine-settings.js';
import { GroupCommitter } from './group-commit.js';
import type { LiveTransaction } from './live-transaction.js';
import { rebuildOpen } from './open-recovery.js';
import { partitionOf } from '../log/gid-partitioner.js';
import { PartitionProcessor } from './partition-processor.js';
import { observedAppender, type BatchAppender } from './batch-appender.js';
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
import { engineHooks } from './engine-hooks.js';
import { dtmViewText } from '../log/packed-view.js';

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
    const appender = injected !== undefined ? observedAppender(injected, committed) : new GroupCommitter(deps.log, committed);
    const waits = (this.#waits = new WaitRegistry(
      deps.clock,
      (live) => (Math.max(live.context.options.requestTimeout, deps.settings.limits.requestTimeout) + 2) * 1000,
      (gid) => this.#processors.get(this.partitionOf(gid))?.live.get(gid),
    ));
    this.#budget = new PayloadBudget(deps.settings.maxOpenPayloadBytes);
    this.#timers = new TimerWheel(deps.clock, (gid) => void this.#local({ id: newCommandId('cron'), gid, kind: 'cronFired' }));
    this.#effects = new EffectRunner(deps.invoker, deps.settings, deps.logger, (cmd) => void this.#local(cmd), deps.observer, deps.actAfter);
    const hooks = engineHooks({
      effects: this.#effects,
      timers: this.#timers,
      clock: deps.clock,
      logger: this.#logger,
      observer: deps.observer,
      committed: (p, touched, records) => deps.onCommitted?.(p, touched, records),
      lost: (p, fenced) => {
        this.revoke(p, fenced ? 'fenced by a newer owner' : 'a commit is in doubt');
        deps.onPartitionLost?.(p, fenced);
      },
    });
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
    const { live, events, failed } = await rebuildOpen(this.deps.log, this.deps.registry, this.#logger, this.deps.observer);
    for (const t of live) this.#processors.get(this.partitionOf(t.gid))!.adopt(t);
    const redriven = this.#redrive(live);
    const ms = performance.now() - t0;
    this.#logger.info({ transactions: live.length, events, redriven, failed, ms: Math.round(ms) }, 'recovery finished');
    return { transactions: live.length, events, ms };
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
    this.#redrive(recovered);
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
    if (this.deps.bus === undefined) {
      const view = (await this.deps.log.getSummary(gid))?.view;
      return view === undefined ? undefined : dtmViewText(view);
    }
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

  /** Re-drives the calls that were in flight when `recovered` were last written; how many had some. */
  #redrive(recovered: readonly LiveTransaction[]): number {
    let n = 0;
    for (const live of recovered) {
      const effects = live.parked === undefined ? outstandingOf(live.def, live.context) : [];
      if (effects.length === 0) continue;
      n += 1;
      this.#effects.perform(live, effects);
    }
    return n;
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
