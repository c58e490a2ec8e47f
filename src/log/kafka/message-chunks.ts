import type { IHeaders, Message } from 'kafkajs';

/**
 * The largest record batch dtx's topics accept (`max.message.bytes`, set when dtx creates or finds
 * them): a transaction's event carries its request (up to `HttpMaxBodyBytes`) in the record and
 * again in the projection header, JSON-escaped; Kafka's default (1 MB) refused a saga with a
 * 600 KB payload (`DTX_LOG_UNAVAILABLE`, retried for ever). Kept below the broker's
 * `socket.request.max.bytes` (100 MiB by default): one produce request carries one such batch.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Bytes of messages per produce request. A partition's messages of one send form one record
 * batch, which the broker checks against `max.message.bytes` as a whole: a busy partition's turn
 * could pass it with many small events. Sent in chunks of this size (one Kafka transaction still
 * holds them all), a batch stays far below the limit, and a topic left at Kafka's default still
 * takes every batch of small events.
 */
export const SEND_CHUNK_BYTES = 512 * 1024;

/** Per record: length, attributes, timestamp and offset deltas, header counts (varints), generously. */
const RECORD_OVERHEAD = 32;

const bytesOf = (v: Buffer | string | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

function headerBytes(headers: IHeaders | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) n += Buffer.byteLength(k) + bytesOf(x) + 4;
  }
  return n;
}

/** What `m` adds to a record batch, uncompressed. */
export function messageBytes(m: Message): number {
  return RECORD_OVERHEAD + bytesOf(m.key) + bytesOf(m.value) + headerBytes(m.headers);
}

/**
 * `messages` in order, cut into chunks of at most `maxBytes` (`messageBytes`); a message larger
 * than `maxBytes` makes a chunk of its own.
 */
export function chunksByBytes(messages: readonly Message[], maxBytes = SEND_CHUNK_BYTES): Message[][] {
  return chunksBySize(messages, messageBytes, maxBytes);
}

/** `items` in order, cut into runs whose `sizeOf` sums to at most `max`; a larger item runs alone. */
export function chunksBySize<T>(items: readonly T[], sizeOf: (item: T) => number, max: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const n = sizeOf(item);
    if (current.length > 0 && size + n > max) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
