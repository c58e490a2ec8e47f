import type { Engine } from '../engine/engine.js';
import type { Reply } from '../engine/command.js';
import { newCommandId } from '../engine/command-id.js';
import { rfc3339 } from '../engine/trans-view.js';
import { BadRequest } from '../errors.js';
import type { EventLog, KvRow } from '../log/event-log.js';
import { topicKey } from '../log/kv-records.js';
import type { BranchUrlRules } from './schema/branch-url-rule.js';
import { kvCatProblem, kvKeyProblem, parseTopicChange, type TopicInput, type TopicOp } from './schema/topic-input-schema.js';

/**
 * The topic and KV calls (spec §9) every ingress that offers them shares (HTTP routes, gRPC
 * Subscribe / Unsubscribe / DeleteTopic): validate, then a `topic` command to the engine (routed
 * to the owner of the topic's key like any transaction command), or a read of the KV projection.
 */
export interface TopicCallDeps {
  readonly engine: Engine;
  /** The KV projection (the event log's reads). */
  readonly kv: Pick<EventLog, 'scanKV' | 'queryKV'>;
  readonly urlRules: BranchUrlRules;
  /** Submit-time outbound policy for a subscriber URL: rejects with BadRequest naming `field`. */
  readonly checkUrl: (field: string, url: string) => Promise<void>;
}

export async function runTopicCall(deps: TopicCallDeps, op: TopicOp, input: TopicInput, origin: string): Promise<Reply> {
  const { topic, change } = parseTopicChange(op, input, deps.urlRules);
  if (change.op === 'subscribe') await deps.checkUrl('url', change.url);
  return deps.engine.dispatch({ id: newCommandId(`${origin}.${op}`), gid: topicKey(topic), kind: 'topic', change });
}

/** dtm's KV row JSON (spec §2.4; no omitempty). */
export interface KvRowJson {
  readonly id: number;
  readonly create_time: string;
  readonly update_time: string;
  readonly cat: string;
  readonly k: string;
  readonly v: string;
  readonly version: number;
}

export function kvRowJson(r: KvRow): KvRowJson {
  return { id: r.id, create_time: rfc3339(r.createTime), update_time: rfc3339(r.updateTime), cat: r.cat, k: r.k, v: r.v, version: r.version };
}

/** `scanKV` (spec §3.2): a page of `cat` in key order; `next_position` '' at the end. */
export async function scanKV(deps: TopicCallDeps, cat: string, position: string, limit: number): Promise<{ kv: KvRowJson[]; next_position: string }> {
  check('cat', kvCatProblem(cat));
  check('position', kvKeyProblem(position));
  const page = await deps.kv.scanKV(cat, position, limit);
  return { kv: page.rows.map(kvRowJson), next_position: page.nextPosition };
}

/** `queryKV` (spec §3.2): rows of `cat` ('' = any) with key `key` ('' = any); `[]` when none. */
export async function queryKV(deps: TopicCallDeps, cat: string, key: string): Promise<{ kv: KvRowJson[] }> {
  check('cat', kvCatProblem(cat));
  check('key', kvKeyProblem(key));
  return { kv: (await deps.kv.queryKV(cat, key)).map(kvRowJson) };
}

function check(field: string, problem: string | undefined): void {
  if (problem !== undefined) throw new BadRequest(`${field}: ${problem}`);
}
