/**
 * KV records in the event log (docs/topics.md). dtm keeps topics as rows of a KV table (spec §2.4,
 * §9); dtx keeps them as events: each topic has a reserved key that serves as the records' gid
 * (`dtx:topic:<name>`, a prefix the gid rule refuses to clients), so a topic change is routed,
 * ordered, fenced and made durable exactly like a transaction's command. The KV rows `scanKV` and
 * `queryKV` read are a projection that every adapter derives from these records alone
 * (`kvChangeOf`), in the same atomic write: a Kafka worker's replica has the row as soon as it
 * has the event.
 */
import type { LogRecord } from './event-log.js';

/** gids starting with this prefix are dtx's own records, never a client's transaction. */
export const RESERVED_GID_PREFIX = 'dtx:';
const TOPIC_KEY_PREFIX = `${RESERVED_GID_PREFIX}topic:`;

/** The KV category of topics (dtm's `topicsCat`). */
export const TOPICS_CAT = 'topics';

export function topicKey(topic: string): string {
  return `${TOPIC_KEY_PREFIX}${topic}`;
}

/** Whether `gid` is one of dtx's reserved keys rather than a transaction's gid. */
export function isReservedGid(gid: string): boolean {
  return gid.startsWith(RESERVED_GID_PREFIX);
}

/** The topic name of a topic key, or undefined for any other gid. */
export function topicOfKey(gid: string): string | undefined {
  return gid.startsWith(TOPIC_KEY_PREFIX) ? gid.slice(TOPIC_KEY_PREFIX.length) : undefined;
}

/** One subscriber, as dtm stores it in the topic's KV value (`[{"url":..,"remark":..}]`). */
export interface Subscriber {
  readonly url: string;
  readonly remark: string;
}

/**
 * The events of a topic key. Each put event carries the subscriber list and version the change
 * leads to, so the KV row is a function of one record (no read-before-write in any adapter) and
 * the fold of a topic is its last event.
 */
export type TopicEvent =
  | { readonly type: 'TopicSubscribed'; readonly topic: string; readonly url: string; readonly remark: string; readonly subscribers: readonly Subscriber[]; readonly version: number }
  | { readonly type: 'TopicUnsubscribed'; readonly topic: string; readonly url: string; readonly subscribers: readonly Subscriber[]; readonly version: number }
  | { readonly type: 'TopicDeleted'; readonly topic: string };

export const TOPIC_EVENT_TYPES: ReadonlySet<string> = new Set(['TopicSubscribed', 'TopicUnsubscribed', 'TopicDeleted']);

/** What one record does to the KV projection. */
export type KvChange =
  | { readonly op: 'put'; readonly cat: string; readonly k: string; readonly v: string; readonly version: number; readonly at: number }
  | { readonly op: 'delete'; readonly cat: string; readonly k: string };

/** dtm's value text of a topic: Go's JSON of `[]Subscriber` (keys url, remark, in that order). */
export function subscribersText(subscribers: readonly Subscriber[]): string {
  return JSON.stringify(subscribers.map((s) => ({ url: s.url, remark: s.remark })));
}

/** The KV change a record makes; undefined for every record that is not a KV event. */
export function kvChangeOf(r: LogRecord): KvChange | undefined {
  if (!TOPIC_EVENT_TYPES.has(r.type) || topicOfKey(r.gid) === undefined) return undefined;
  const data = r.data as Partial<Extract<TopicEvent, { subscribers: unknown }>>;
  const k = topicOfKey(r.gid)!;
  if (r.type === 'TopicDeleted') return { op: 'delete', cat: TOPICS_CAT, k };
  return { op: 'put', cat: TOPICS_CAT, k, v: subscribersText(data.subscribers ?? []), version: Number(data.version ?? 0), at: r.at };
}

/** The KV changes of a batch, in record order (a later change of the same key wins). */
export function kvChangesOf(records: readonly LogRecord[]): KvChange[] {
  const out: KvChange[] = [];
  for (const r of records) {
    const c = kvChangeOf(r);
    if (c !== undefined) out.push(c);
  }
  return out;
}
