import type { LogRecord, TransSummary } from '../log/event-log.js';
import type { BatchAppender, BatchInfo } from '../engine/batch-appender.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';

/**
 * Read-process-write bookkeeping of the Kafka owner (DESIGN §4): the offset each delivered command
 * had in its partition of `<prefix>.commands`, until the batch that decided it is committed. The
 * engine hands its appender the ids of a batch's commands; this turns them into the next offset to
 * commit with the batch's events, in the same Kafka transaction.
 */
export class ConsumedOffsets {
  readonly #byPartition = new Map<number, Map<string, bigint>>();

  /** A command read at `offset` of partition `p` is about to be delivered to the engine. */
  record(p: number, cmdId: string, offset: string): void {
    let m = this.#byPartition.get(p);
    if (m === undefined) {
      m = new Map();
      this.#byPartition.set(p, m);
    }
    const o = BigInt(offset);
    const known = m.get(cmdId);
    if (known === undefined || o > known) m.set(cmdId, o);
  }

  /** The offset to commit after the batch of `commands` (the last one's + 1), forgetting them; undefined when none came from the stream. */
  take(p: number, commands: readonly string[]): string | undefined {
    const m = this.#byPartition.get(p);
    if (m === undefined) return undefined;
    let last: bigint | undefined;
    for (const id of commands) {
      const o = m.get(id);
      if (o === undefined) continue;
      m.delete(id);
      if (last === undefined || o > last) last = o;
    }
    return last === undefined ? undefined : String(last + 1n);
  }

  /** The partition moved: its pending offsets belong to the next owner. */
  forget(p: number): void {
    this.#byPartition.delete(p);
  }
}

/** The engine's appender in Kafka mode: one partition's events and consumed offset in one Kafka transaction. */
export class KafkaBatchAppender implements BatchAppender {
  constructor(
    private readonly log: KafkaEventLog,
    private readonly offsets: ConsumedOffsets,
  ) {}

  append(records: readonly LogRecord[], summaries: readonly TransSummary[], batch: BatchInfo): Promise<void> {
    return this.log.appendPartition(batch.partition, records, summaries, this.offsets.take(batch.partition, batch.commands));
  }
}
