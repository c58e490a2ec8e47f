import type { TransSpec, TransTypeRegistry } from '../../machines/index.js';
import type { EventLog } from '../log/event-log.js';
import { TOPICS_CAT, type Subscriber } from '../log/kv-records.js';
import { errorReply, type Command, type Reply } from './command.js';
import { MAX_BRANCH_ROWS, fannedOutRows, tooManyRows } from './branch-rows.js';

/**
 * msg fan-out (spec §7.4.1, docs/topics.md): before a prepare or submit is decided, the subscribers
 * of every topic its steps name (`topic://<name>`, asked through the type's `topics` hook) are read
 * from the KV projection and recorded in the request (`spec.topicUrls`), so the creating event
 * holds the expansion and a replay never reads topics. The rows the expansion makes are bounded
 * (`MAX_BRANCH_ROWS`), checked here before any is built. Resolved on every prepare and submit, as
 * dtm generates rows on each: a topic without subscribers answers dtm's `topic not found` and
 * nothing is stored.
 */
export async function expandTopics(cmd: Command, registry: TransTypeRegistry, log: Pick<EventLog, 'queryKV'>): Promise<Command | Reply> {
  if (cmd.kind !== 'prepare' && cmd.kind !== 'submit' && cmd.kind !== 'prepareWorkflow') return cmd;
  const { topicUrls: _untrusted, ...spec } = cmd.spec;
  const names = [...new Set(registry.get(spec.transType)?.topics?.(spec) ?? [])];
  if (names.length === 0) return _untrusted === undefined ? cmd : { ...cmd, spec };
  const topicUrls: Record<string, string[]> = {};
  for (const name of names) {
    const urls = name === '' ? [] : subscriberUrls((await log.queryKV(TOPICS_CAT, name))[0]?.v);
    if (urls.length === 0) return errorReply('topic not found', 'DTX_TOPIC_NOT_FOUND');
    topicUrls[name] = urls;
  }
  const expanded: TransSpec = { ...spec, topicUrls };
  const rows = fannedOutRows(expanded);
  if (rows > MAX_BRANCH_ROWS) return errorReply(tooManyRows(rows, 'steps'), 'DTX_BAD_REQUEST');
  return { ...cmd, spec: expanded };
}

/** The URLs of a topic's KV value text (`[{"url","remark"}]`), in subscription order. */
export function subscriberUrls(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const list = JSON.parse(value) as Subscriber[] | null;
  return (list ?? []).map((s) => s.url);
}

export function isReply(x: Command | Reply): x is Reply {
  return 'ok' in x;
}
