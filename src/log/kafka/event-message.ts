import type { KafkaMessage, Message } from 'kafkajs';
import { decodeRecord, encodeRecord } from '../codec.js';
import type { LogRecord, TransSummary } from '../event-log.js';

/** Header carrying the transaction's projection row on the last record of each gid in a batch. */
const SUMMARY_HEADER = 'dtx-summary';

/**
 * An event as a Kafka record (DESIGN §3): key = gid, value = the versioned JSON record (readable
 * with standard Kafka tools). The summary rides in a header so the events topic stays a plain
 * event log and every worker's projection is derived from it alone.
 */
export function encodeEventMessage(record: LogRecord, summary: TransSummary | undefined): Message {
  const message: Message = { key: record.gid, value: encodeRecord(record) };
  if (summary !== undefined) message.headers = { [SUMMARY_HEADER]: JSON.stringify(summary) };
  return message;
}

/**
 * A projection update without an event (the port allows summaries alone): a record with a null
 * value and the summary header. The events topic is never compacted, so null deletes nothing.
 */
export function encodeSummaryMessage(summary: TransSummary): Message {
  return { key: summary.gid, value: null, headers: { [SUMMARY_HEADER]: JSON.stringify(summary) } };
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
