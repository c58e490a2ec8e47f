import type { Logger } from 'pino';
import { isFinal } from '../../machines/index.js';
import type { LiveTransaction } from '../engine/live-transaction.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import type { SnapshotRecord } from '../log/kafka/snapshot-codec.js';

interface PartitionState {
  /** transactions changed since the last snapshot (finished ones become tombstones) */
  dirty: Map<string, LiveTransaction>;
  /** gids whose stored snapshot is stale and must be tombstoned */
  stale: Set<string>;
  events: number;
  writing: boolean;
}

/**
 * Takes partition snapshots (DESIGN §4) on the owner: after every `every` events committed in a
 * partition, the machine snapshots of the transactions changed since the previous snapshot go to
 * `<prefix>.snapshots` (incremental: the topic is compacted by gid, so untouched transactions keep
 * their earlier record), finished ones as tombstones. States are captured synchronously right
 * after a commit, when the partition's memory equals the durable log.
 */
export class SnapshotWriter {
  readonly #parts = new Map<number, PartitionState>();

  constructor(
    private readonly log: KafkaEventLog,
    private readonly every: number,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Engine hook: a batch of partition `p` is durable; `touched` are in their new state. */
  committed(p: number, touched: readonly LiveTransaction[], records: number): void {
    if (this.every <= 0) return;
    const part = this.#part(p);
    for (const live of touched) part.dirty.set(live.gid, live);
    part.events += records;
    if (part.events >= this.every && !part.writing) this.#write(p, part);
  }

  /** After a takeover: stored snapshots of transactions that are no longer open get tombstones. */
  seedStale(p: number, gids: readonly string[]): void {
    for (const g of gids) this.#part(p).stale.add(g);
  }

  /** The partition moved away: forget what was pending for it. */
  forget(p: number): void {
    this.#parts.delete(p);
  }

  #part(p: number): PartitionState {
    let part = this.#parts.get(p);
    if (part === undefined) {
      part = { dirty: new Map(), stale: new Set(), events: 0, writing: false };
      this.#parts.set(p, part);
    }
    return part;
  }

  #write(p: number, part: PartitionState): void {
    const states: SnapshotRecord[] = [];
    const finished = [...part.stale];
    for (const live of part.dirty.values()) {
      if (isFinal(live.status)) finished.push(live.gid);
      else states.push({ v: 1, gid: live.gid, seq: live.seq, value: live.snapshot.value, context: live.snapshot.context, cmds: [...live.cmds], ...(live.parked ? { parked: live.parked } : {}) });
    }
    const taken = part.dirty;
    const events = part.events;
    part.dirty = new Map();
    part.stale = new Set();
    part.events = 0;
    part.writing = true;
    const t0 = performance.now();
    this.log
      .writeSnapshot(p, states, finished, states.length, this.now())
      .then(() => this.logger.debug({ partition: p, states: states.length, tombstones: finished.length, events, ms: Math.round(performance.now() - t0) }, 'snapshot written'))
      .catch((err: unknown) => {
        // Not fatal: recovery folds more events. Keep the changes for the next attempt.
        this.logger.warn({ err, partition: p }, 'snapshot write failed');
        const current = this.#parts.get(p);
        if (current === undefined) return;
        for (const [gid, live] of taken) if (!current.dirty.has(gid)) current.dirty.set(gid, live);
        current.events += events;
      })
      .finally(() => {
        const current = this.#parts.get(p);
        if (current !== undefined) current.writing = false;
      });
  }
}
