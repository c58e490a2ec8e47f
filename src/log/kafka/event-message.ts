import type { KafkaMessage, Message } from 'kafkajs';
import { decodeRecord, encodeRecord } from '../codec.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { messageBytes } from './message-chunks.js';

/** Header carrying the transaction's projection row on the last record of each gid in a batch. */
const SUMMARY_HEADER = 'dtx-summary';

/**
 * Largest record that carries a stored state (`TransSummary.state`) in its summary header. A
 * record without one stays under the topics' 64 MiB batch by the view and body bounds
 * (config/store-limits.ts); a state repeats the transaction's context beside the view and could
 * pass it, and a batch the broker refuses fails for ever. Past this bound the state is left out:
 * the replicas keep their older state and a load folds the events after it (the next multiple of
 * `STATE_EVERY_EVENTS` tries again).
 */
export const STATE_MESSAGE_MAX_BYTES = 48 * 1024 * 1024;

/**
 * A partition's batch as records of the events topic, and its summaries as they travel: the
 * writing worker's own replica copies these (`copyOwn`), so it holds exactly what every other
 * replica reads, a state left out included.
 */
export interface EncodedBatch {
  readonly messages: Message[];
  readonly summaries: readonly TransSummary[];
}

/**
 * An event is a record (DESIGN §3): key = gid, value = the versioned JSON record (readable with
 * standard Kafka tools). The projection row of a gid rides in a header of its last event in the
 * batch, so the events topic stays a plain event log and every worker's projection is derived
 * from it alone; a row whose gid has no event in the batch gets a record of its own with a null
 * value (the events topic is never compacted, so null deletes nothing).
 */
export function encodeBatchMessages(records: readonly LogRecord[], summaries: readonly TransSummary[]): EncodedBatch {
  const lastOf = new Map(summaries.map((s) => [s.gid, s]));
  const lastIndex = new Map(records.map((r, i) => [r.gid, i]));
  const sent = new Map<string, TransSummary>();
  const messages = records.map((r, i): Message => {
    const summary = lastIndex.get(r.gid) === i ? lastOf.get(r.gid) : undefined;
    return summary === undefined ? { key: r.gid, value: encodeRecord(r) } : withSummary(r.gid, encodeRecord(r), summary, sent);
  });
  for (const s of lastOf.values()) if (!lastIndex.has(s.gid)) messages.push(withSummary(s.gid, null, s, sent));
  return { messages, summaries: sent.size === 0 ? summaries : summaries.map((s) => sent.get(s.gid) ?? s) };
}

/** The record with `summary` in its header, its stored state left out past STATE_MESSAGE_MAX_BYTES; `sent` gets the summary as it travels. */
function withSummary(key: string, value: string | null, summary: TransSummary, sent: Map<string, TransSummary>): Message {
  const message: Message = { key, value, headers: { [SUMMARY_HEADER]: JSON.stringify(summary) } };
  if (summary.state === undefined || messageBytes(message) <= STATE_MESSAGE_MAX_BYTES) return message;
  const { state: _left, ...row } = summary;
  sent.set(summary.gid, row);
  return { key, value, headers: { [SUMMARY_HEADER]: JSON.stringify(row) } };
}

/** Decodes a record of the events topic: an event and/or a projection row. */
export function decodeEventMessage(m: KafkaMessage): { record?: LogRecord; summary?: TransSummary } {
  const record = m.value === null ? undefined : decodeRecord(m.value.toString('utf8'));
  const header = m.headers?.[SUMMARY_HEADER];
  const summary = header === undefined ? undefined : (JSON.parse(Buffer.isBuffer(header) ? header.toString('utf8') : String(header)) as TransSummary);
  return { ...(record ? { record } : {}), ...(summary ? { summary } : {}) };
}
