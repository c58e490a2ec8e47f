import type { LogRecord } from '../log/event-log.js';
import { topicOfKey } from '../log/kv-records.js';
import { errorReply, OK, type Command, type Reply } from './command.js';
import { LiveTransaction } from './live-transaction.js';
import { applyTopicEvent, decideTopic, foldTopic, type TopicState } from './topic-state.js';

interface Held {
  readonly state: TopicState;
  /** ids of the commands applied recently (exactly-once, as for transactions) */
  readonly cmds: ReadonlySet<string>;
}

/**
 * The topics of one partition, held by its processor next to its live transactions (docs/topics.md):
 * a topic's key is loaded from the log on first use and stays in memory (topics are few and small).
 * Decisions of a batch go to drafts that become real only when the batch is durable (`commit`);
 * a failed append `discard`s them, like the transactions' drafts.
 */
export class TopicBook {
  readonly #held = new Map<string, Held>();
  #drafts = new Map<string, { state: TopicState; cmds: Set<string>; records: LogRecord[] }>();

  has(gid: string): boolean {
    return this.#held.has(gid);
  }

  /** Folds the stored events of a topic key (first use in this processor). */
  load(gid: string, records: readonly LogRecord[]): void {
    if (this.#held.has(gid)) return;
    const cmds = new Set<string>();
    for (const r of records.slice(-LiveTransaction.MAX_REMEMBERED_COMMANDS)) cmds.add(r.cmd);
    this.#held.set(gid, { state: foldTopic(topicOfKey(gid) ?? '', records), cmds });
  }

  /** Decides one command for a reserved key; an accepted change is drafted for the batch's append. */
  decide(cmd: Command, at: number): Reply {
    if (cmd.kind !== 'topic') {
      // timers and branch results never target a key; a client command to one is refused
      if (cmd.kind === 'cronFired' || cmd.kind === 'branchResult' || cmd.kind === 'query') return OK;
      return errorReply(`gid '${cmd.gid}' is reserved for dtx's own records`, 'DTX_BAD_REQUEST');
    }
    const topic = topicOfKey(cmd.gid);
    if (topic === undefined) return errorReply(`gid '${cmd.gid}' is not a topic key`, 'DTX_BAD_REQUEST');
    const held = this.#drafts.get(cmd.gid) ?? this.#held.get(cmd.gid) ?? { state: foldTopic(topic, []), cmds: new Set<string>() };
    if (held.cmds.has(cmd.id)) return OK; // delivered twice: applied once
    const decision = decideTopic(held.state, cmd.change);
    if ('error' in decision) return errorReply(decision.error, decision.bound ? 'DTX_BAD_REQUEST' : 'DTX_TOPIC_REFUSED');
    const seq = held.state.seq + 1;
    const { type, ...data } = decision.event;
    const draft = this.#drafts.get(cmd.gid) ?? { state: held.state, cmds: new Set(held.cmds), records: [] };
    draft.records.push({ v: 1, gid: cmd.gid, seq, type, at, data, cmd: cmd.id });
    draft.state = applyTopicEvent(draft.state, decision.event, seq);
    draft.cmds.add(cmd.id);
    if (draft.cmds.size > LiveTransaction.MAX_REMEMBERED_COMMANDS) draft.cmds.delete(draft.cmds.values().next().value!);
    this.#drafts.set(cmd.gid, draft);
    return OK;
  }

  /** Records the batch must append for its topic changes. */
  pending(): LogRecord[] {
    return [...this.#drafts.values()].flatMap((d) => d.records);
  }

  /** The batch is durable: its topic changes become the held state. */
  commit(): void {
    for (const [gid, d] of this.#drafts) this.#held.set(gid, { state: d.state, cmds: d.cmds });
    this.#drafts = new Map();
  }

  /** The batch failed: nothing of it stays. */
  discard(): void {
    this.#drafts = new Map();
  }
}
