import type { LogRecord, TransSummary } from '../log/event-log.js';

/** What a partition processor tells its appender about the batch it appends. */
export interface BatchInfo {
  readonly partition: number;
  /**
   * Ids of the commands decided in the batch, in order. An appender that commits its input with the
   * events (src/cluster: the consumed command offsets, read-process-write) maps them itself; the
   * engine knows nothing of where commands came from.
   */
  readonly commands: readonly string[];
}

/**
 * Durable append of one partition's batch. The engine's default is the group committer over the
 * EventLog (one commit for the batches of every partition in an event-loop turn); the Kafka cluster
 * injects one that writes each partition through its fenced producer with its consumed offsets.
 * Rejects with NotOwner when the partition's writes are refused (fenced or a commit in doubt).
 */
export interface BatchAppender {
  append(records: readonly LogRecord[], summaries: readonly TransSummary[], batch: BatchInfo): Promise<void>;
}

/** `appender`, each append's record count and duration reported to `observe` (the commit metric). */
export function observedAppender(appender: BatchAppender, observe: ((records: number, ms: number) => void) | undefined): BatchAppender {
  return {
    append: async (records, summaries, batch) => {
      const t0 = performance.now();
      await appender.append(records, summaries, batch);
      observe?.(records.length, performance.now() - t0);
    },
  };
}
