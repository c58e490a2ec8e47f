import type { Logger } from 'pino';
import { isFinal, outstandingOf, type Effect, type TransTypeRegistry } from '../../machines/index.js';
import type { EventLog, ListFilter, ListPage } from '../log/event-log.js';
import type { Invoker } from '../invoker/invoker.js';
import type { Command, Reply } from './command.js';
import type { EngineSettings } from './engine-settings.js';
import { GroupCommitter } from './group-commit.js';
import { foldRecords, type LiveTransaction } from './live-transaction.js';
import { partitionOf } from './murmur2.js';
import { PartitionProcessor } from './partition-processor.js';
import { TimerWheel, type TimerClock } from './timer-wheel.js';
import { WaitRegistry } from './wait-registry.js';
import { EffectRunner } from './effect-runner.js';
import { newCommandId } from './command-id.js';
import type { EngineObserver } from './engine-observer.js';

export interface EngineDeps {
  readonly log: EventLog;
  readonly registry: TransTypeRegistry;
  readonly invoker: Invoker;
  readonly clock: TimerClock;
  readonly logger: Logger;
  readonly settings: EngineSettings;
  readonly observer?: EngineObserver;
}


/**
 * The coordinator core (DESIGN §1): routes each command to the processor that owns its gid's
 * partition, runs the timer wheel, performs effects after their events are durable, and rebuilds
 * every unfinished transaction from the log on start.
 */
export class Engine {
  readonly #processors: PartitionProcessor[];
  readonly #timers: TimerWheel;
  readonly #effects: EffectRunner;
  readonly #logger: Logger;
  #stopped = false;

  constructor(private readonly deps: EngineDeps) {
    this.#logger = deps.logger.child({ component: 'engine' });
    const committer = new GroupCommitter(deps.log, deps.observer?.committed?.bind(deps.observer));
    const waits = new WaitRegistry((live) => {
      const perCall = Math.max(live.context.options.requestTimeout, deps.settings.limits.requestTimeout);
      return (perCall + 2) * 1000;
    });
    this.#timers = new TimerWheel(deps.clock, (gid) => void this.dispatch({ id: newCommandId('cron'), gid, kind: 'cronFired' }));
    this.#effects = new EffectRunner(deps.invoker, deps.settings, deps.logger, (cmd) => void this.dispatch(cmd), deps.observer);
    const hooks = {
      perform: (live: LiveTransaction, effects: readonly Effect[]) => this.#effects.perform(live, effects),
      schedule: (gid: string, at: number | undefined) => this.#timers.set(gid, at),
      now: () => deps.clock.now(),
      finished: (live: LiveTransaction) => deps.observer?.transactionFinished?.(live.context.transType, live.status, live.context.createTime, live.context.updateTime),
    };
    this.#processors = Array.from(
      { length: deps.settings.partitions },
      (_, p) => new PartitionProcessor(p, deps.log, committer, deps.registry, deps.settings, waits, hooks, this.#logger.child({ partition: p })),
    );
  }

  /** Rebuilds unfinished transactions and re-drives the calls that were in flight at the crash. */
  async start(): Promise<{ transactions: number; events: number; ms: number }> {
    const t0 = performance.now();
    let transactions = 0;
    let events = 0;
    const redrive: Array<[LiveTransaction, Effect[]]> = [];
    for await (const { gid, records } of this.deps.log.scanOpen()) {
      const live = foldRecords(this.deps.registry, gid, records);
      if (live === undefined || isFinal(live.status)) continue;
      this.#processorOf(gid).adopt(live);
      transactions += 1;
      events += records.length;
      const effects = outstandingOf(live.def, live.context);
      if (effects.length > 0) redrive.push([live, effects]);
    }
    for (const [live, effects] of redrive) this.#effects.perform(live, effects);
    const ms = performance.now() - t0;
    this.#logger.info({ transactions, events, redriven: redrive.length, ms: Math.round(ms) }, 'recovery finished');
    return { transactions, events, ms };
  }

  dispatch(cmd: Command, wait = false): Promise<Reply> {
    if (this.#stopped) return Promise.resolve({ ok: false, result: 'ERROR', message: 'dtx is shutting down', code: 'DTX_OVERLOADED', httpStatus: 503 });
    return this.#processorOf(cmd.gid).enqueue(cmd, wait);
  }

  /** dtm's `query` view text of one transaction, or undefined. */
  async queryView(gid: string): Promise<string | undefined> {
    return (await this.deps.log.getSummary(gid))?.view;
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

  liveCount(): number {
    return this.#processors.reduce((n, p) => n + p.live.size, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timers.stop();
    await this.#effects.drain();
  }

  #processorOf(gid: string): PartitionProcessor {
    return this.#processors[partitionOf(gid, this.#processors.length)]!;
  }
}
