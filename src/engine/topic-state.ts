import type { LogRecord } from '../log/event-log.js';
import type { Subscriber, TopicEvent } from '../log/kv-records.js';

/**
 * A topic as the fold of its key's events (docs/topics.md), and dtm's rules for changing it
 * (spec §9, dtmsvr/topics.go), with dtm's error texts (typos and trailing space included: clients
 * match on them). Pure: no I/O, no clock; time comes in as the event's `at`.
 */
/** Subscribers one topic may have (docs/limits.md `maxTopicSubscribers`). */
export const MAX_TOPIC_SUBSCRIBERS = 256;

export interface TopicState {
  readonly topic: string;
  /** seq of the key's last event, 0 when none */
  readonly seq: number;
  /** undefined: the topic has no KV row (never created, or deleted) */
  readonly subscribers: readonly Subscriber[] | undefined;
  /** the row's version; 0 without a row */
  readonly version: number;
}

/** A client's change to a topic (the `topic` command). */
export type TopicChange =
  | { readonly op: 'subscribe'; readonly url: string; readonly remark: string }
  | { readonly op: 'unsubscribe'; readonly url: string }
  | { readonly op: 'delete' };

export function emptyTopic(topic: string): TopicState {
  return { topic, seq: 0, subscribers: undefined, version: 0 };
}

/** One event of the topic's key; events of other types are ignored (forward compatibility). */
export function applyTopicEvent(state: TopicState, e: TopicEvent, seq: number): TopicState {
  switch (e.type) {
    case 'TopicSubscribed':
    case 'TopicUnsubscribed':
      return { topic: state.topic, seq, subscribers: e.subscribers.map((s) => ({ url: s.url, remark: s.remark })), version: e.version };
    case 'TopicDeleted':
      return { topic: state.topic, seq, subscribers: undefined, version: 0 };
    default:
      return { ...state, seq };
  }
}

export function topicEventOf(r: LogRecord): TopicEvent {
  return { ...r.data, type: r.type } as unknown as TopicEvent;
}

export function foldTopic(topic: string, records: readonly LogRecord[]): TopicState {
  let state = emptyTopic(topic);
  for (const r of records) state = applyTopicEvent(state, topicEventOf(r), r.seq);
  return state;
}

/** `bound`: refused by a dtx bound (a 400), not by dtm's rules (dtm's plain errors). */
export type TopicDecision = { readonly event: TopicEvent } | { readonly error: string; readonly bound?: true };

/**
 * dtm's Subscribe / Unsubscribe / DeleteKV on the current state. dtm's optimistic-version races
 * (`storage: UniqueKeyConflict`, `storage: NotFound` on a lost CAS) cannot happen: one processor
 * decides all changes of a topic, in order.
 */
export function decideTopic(state: TopicState, change: TopicChange): TopicDecision {
  const topic = state.topic;
  if (topic === '') return { error: 'empty topic' };
  const subs = state.subscribers;
  switch (change.op) {
    case 'subscribe': {
      if (change.url === '') return { error: 'empty url' };
      if (subs?.some((s) => s.url === change.url)) return { error: 'this url exists' };
      if ((subs?.length ?? 0) >= MAX_TOPIC_SUBSCRIBERS) return { error: `url: topic '${topic}' already has ${MAX_TOPIC_SUBSCRIBERS} subscribers (the most a topic may have)`, bound: true };
      const subscribers = [...(subs ?? []), { url: change.url, remark: change.remark }];
      return { event: { type: 'TopicSubscribed', topic, url: change.url, remark: change.remark, subscribers, version: subs === undefined ? 1 : state.version + 1 } };
    }
    case 'unsubscribe': {
      if (change.url === '') return { error: 'empty url' };
      if (subs === undefined) return { error: 'no such a topic' };
      if (subs.length === 0) return { error: 'this topic is empty' };
      const i = subs.findIndex((s) => s.url === change.url);
      if (i < 0) return { error: 'no such an url ' };
      const subscribers = [...subs.slice(0, i), ...subs.slice(i + 1)];
      return { event: { type: 'TopicUnsubscribed', topic, url: change.url, subscribers, version: state.version + 1 } };
    }
    case 'delete':
      if (subs === undefined) return { error: 'storage: NotFound' };
      return { event: { type: 'TopicDeleted', topic } };
  }
}
