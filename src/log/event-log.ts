/**
 * The EventLog port (DESIGN §4). One interface, several adapters (sqlite, memory, kafka);
 * only main.ts chooses. Events are the truth; `transactions` summaries are a projection written
 * atomically with the events that produced them, so query/all are consistent with the log.
 */

/** One durable event. `seq` is per transaction, 1..n without gaps; `at` is the writer's clock (ms). */
export interface LogRecord {
  readonly v: 1;
  readonly gid: string;
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
  /** id of the command that caused the event (exactly-once bookkeeping). */
  readonly cmd: string;
}

/**
 * A transaction's machine state right after its event `seq`: the value and context of its XState
 * snapshot, the ids of its recent commands and whether it is parked, i.e. the fold of events
 * 1..seq. The engine hands one to the log now and then with the transaction's row
 * (`TransSummary.state`, every `EngineSettings.stateEvery` events); a log that keeps it rebuilds a
 * transaction with a long history from it and the events after it (`readTail`, `scanOpen`) instead
 * of from its first event (2,000,000 retries of one transaction took 49 s and 1.2 GB to recover).
 */
export interface StoredState {
  readonly seq: number;
  readonly value: unknown;
  readonly context: unknown;
  readonly cmds: readonly string[];
  readonly parked?: { readonly reason: string; readonly at: number };
}

/** What a transaction is rebuilt from: its latest stored state, when the log keeps one, and the events after it; else all its events. */
export interface StoredTail {
  readonly state?: StoredState;
  readonly records: LogRecord[];
}

/** Projection row of one transaction: what query/all/resetCronTime read. */
export interface TransSummary {
  readonly gid: string;
  readonly transType: string;
  readonly status: string;
  /** ms epoch */
  readonly createTime: number;
  /** ms epoch */
  readonly updateTime: number;
  /** ms epoch of the next scheduled pass; undefined when nothing is scheduled. */
  readonly nextCronTime: number | undefined;
  readonly finished: boolean;
  /**
   * The view's stored text: dtm-shaped JSON `{"transaction":{...},"branches":[...]}`
   * (src/engine/trans-view.ts), or that text packed when it holds long payloads; readers turn it
   * into dtm's text with dtmViewText and bound it with viewChars (src/log/packed-view.ts).
   */
  readonly view: string;
  /** Set now and then (StoredState): a log may keep the latest, or ignore it. Never read back with the row. */
  readonly state?: StoredState;
}

/** The projection columns `dtx replay` compares a transaction's fold with (src/audit/). */
export type AuditedProjection = Pick<TransSummary, 'status' | 'view'>;

export interface ListFilter {
  readonly status?: string;
  readonly transType?: string;
  /** inclusive, ms epoch */
  readonly createTimeStart?: number;
  /** inclusive, ms epoch */
  readonly createTimeEnd?: number;
  /** opaque cursor from a previous page; '' or undefined = first page */
  readonly position?: string;
  readonly limit: number;
}

/** At most `limit` summaries, fewer when their views reach `LIST_PAGE_VIEW_CHARS` (list-page.ts). */
export interface ListPage {
  readonly items: TransSummary[];
  /** '' when the scan is exhausted (the rows ran out before either bound). */
  readonly nextPosition: string;
}

/** A KV row (spec §2.4): the projection of the KV records of src/log/kv-records.ts. */
export interface KvRow {
  /** Assigned by the adapter when the key is (re)created; kept across updates. */
  readonly id: number;
  readonly cat: string;
  readonly k: string;
  readonly v: string;
  /** 1 on creation, +1 per change (a deleted and re-created key starts at 1 again, as in dtm). */
  readonly version: number;
  /** ms epoch */
  readonly createTime: number;
  /** ms epoch */
  readonly updateTime: number;
}

export interface KvPage {
  readonly rows: KvRow[];
  /** '' when the scan is exhausted (fewer than `limit` rows returned). */
  readonly nextPosition: string;
}

export interface EventLog {
  /** Human-readable adapter name for logs ("sqlite", "memory", ...). */
  readonly name: string;
  /**
   * Durably appends a batch (group commit): all records and summaries become visible together or
   * not at all. Resolves only after the batch is durable (fsync when configured). Rejects with
   * `LogUnavailable` on I/O failure; a rejected batch wrote nothing.
   * Precondition (caller's contract): for each gid, records continue its seq without gaps.
   * KV records (src/log/kv-records.ts) update the KV projection in the same atomic write.
   */
  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void>;
  /** All events of one transaction in seq order; [] when unknown. */
  read(gid: string): Promise<LogRecord[]>;
  /** What the engine rebuilds one transaction from (StoredTail); `{records: []}` when unknown. */
  readTail(gid: string): Promise<StoredTail>;
  /**
   * Every unfinished transaction as the engine rebuilds it (StoredTail; recovery on start). With
   * `accept`, only the gids it accepts (one partition's recovery), tested before their events are read.
   */
  scanOpen(accept?: (gid: string) => boolean): AsyncIterable<{ gid: string } & StoredTail>;
  /**
   * Every transaction created at or after `since` (ms epoch; 0 = all), in creation order, with its
   * events and summary (audit `replay --all`). Streams in chunks.
   */
  scanAll(since: number): AsyncIterable<{ gid: string; records: LogRecord[]; summary: TransSummary }>;
  /** Every stored state the log keeps (StoredState), for the audit; absent on a log that keeps none. */
  scanStates?(): AsyncIterable<{ gid: string; state: StoredState }>;
  /** Number of transactions `scanAll(since)` yields (progress reporting). */
  countAll(since: number): Promise<number>;
  getSummary(gid: string): Promise<TransSummary | undefined>;
  list(filter: ListFilter): Promise<ListPage>;
  /** Unfinished transactions whose nextCronTime > after, at most `limit` (resetCronTime). */
  listScheduledAfter(after: number, limit: number): Promise<TransSummary[]>;
  /**
   * KV rows of `cat` in key order, after the cursor `position` ('' = first page; the cursor is the
   * last key of the previous page, so pages are the same on every worker). An empty `cat` matches
   * nothing (dtm's SQL store). Rejects with BadRequest for a limit < 1.
   */
  scanKV(cat: string, position: string, limit: number): Promise<KvPage>;
  /** KV rows of `cat` with key `key`; '' matches any cat / any key (dtm's `FindKV`). Key order. */
  queryKV(cat: string, key: string): Promise<KvRow[]>;
  close(): Promise<void>;
  /**
   * Resolves with the cause once this log can never append or read again in this process: a
   * failed fsync (what reached the disk is unknown, a retry cannot tell), a failed sync of the
   * embedded log's database after a checkpoint,
   * brokers that refuse an ACL the log needs. The composition root stops the process, whose
   * restart recovers from what is durable. Undefined (or never settling) for a log whose failures
   * are all transient.
   */
  readonly failure?: Promise<Error>;
}
