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
 * An event as a Kafka record (DESIGN §3): key = gid, value = the versioned JSON record (readable
 * with standard Kafka tools). The summary rides in a header so the events topic stays a plain
 * event log and every worker's projection is derived from it alone.
 */
export function encodeEventMessage(record: LogRecord, summary: TransSummary | undefined): Message {
  const value = encodeRecord(record);
  return summary === undefined ? { key: record.gid, value } : withSummary(record.gid, value, summary);
}

/**
 * A projection update without an event (the port allows summaries alone): a record with a null
 * value and the summary header. The events topic is never compacted, so null deletes nothing.
 */
export function encodeSummaryMessage(summary: TransSummary): Message {
  return withSummary(summary.gid, null, summary);
}

/** The record with `summary` in its header, its stored state left out past STATE_MESSAGE_MAX_BYTES. */
function withSummary(key: string, value: string | null, summary: TransSummary): Message {
  const message: Message = { key, value, headers: { [SUMMARY_HEADER]: JSON.stringify(summary) } };
  if (summary.state === undefined || messageBytes(message) <= STATE_MESSAGE_MAX_BYTES) return message;
  const { state: _left, ...row } = summary;
  return { key, value, headers: { [SUMMARY_HEADER]: JSON.stringify(row) } };
}

/**
 * One partition's batch as records: each event in order, the projection row of a gid on its last
 * event, and a summary-only record for each row whose gid has no event in the batch.
 */
export function encodeBatchMessages(records: readonly LogRecord[], summaries: readonly TransSummary[]): Message[] {
  const lastOf = new Map(summaries.map((s) => [s.gid, s]));
  const lastIndex = new Map(records.map((r, i) => [r.gid, i]));
  const messages = records.map((r, i) => encodeEventMessage(r, lastIndex.get(r.gid) === i ? lastOf.get(r.gid) : undefined));
  for (const s of summaries) if (!lastIndex.has(s.gid)) messages.push(encodeSummaryMessage(s));
  return messages;
}

/** Decodes a record of the events topic: an event and/or a projection row. */
export function decodeEventMessage(m: KafkaMessage): { record?: LogRecord; summary?: TransSummary } {
  const record = m.value === null ? undefined : decodeRecord(m.value.toString('utf8'));
  const header = m.headers?.[SUMMARY_HEADER];
  const summary = header === undefined ? undefined : (JSON.parse(Buffer.isBuffer(header) ? header.toString('utf8') : String(header)) as TransSummary);
  return { ...(record ? { record } : {}), ...(summary ? { summary } : {}) };
}
