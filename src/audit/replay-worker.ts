/**
 * Child-process entry of the parallel `dtx replay --all` (parallel-replay.ts): reads pages of the
 * log through its own read-only connection and audits each transaction as `replayAll` does.
 * Protocol over the IPC channel: `{init}` first, then `{after, upTo}` in, `{counts}` or `{error}`
 * out; `{close: true}` (or the parent going away) ends the process.
 */
import type { TransEvent } from '../../machines/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { recordOfEvent } from '../engine/live-transaction.js';
import { buildRegistry } from '../extensions/trans-type-loader.js';
import { SqliteAuditPages } from '../log/sqlite/sqlite-audit-pages.js';
import { emptyCounts, TransactionAuditor, type AuditCounts } from './replay-all.js';

export interface ReplayWorkerInit {
  readonly file: string;
  /** the registry is built from it exactly as the CLI builds its own (built-ins + TransTypes) */
  readonly config: ResolvedConfig;
  readonly since: number;
  readonly exact: boolean;
}

export type ReplayWorkerRequest = { readonly init: ReplayWorkerInit } | { readonly after: number; readonly upTo: number } | { readonly close: true };
export type ReplayWorkerReply = { readonly ready: true } | { readonly counts: AuditCounts } | { readonly error: string };

const send = process.send?.bind(process);
if (send === undefined) throw new Error('replay-worker must run as a child process with an IPC channel');
const reply = (m: ReplayWorkerReply) => send(m);

let audit: ((after: number, upTo: number) => AuditCounts) | undefined;
let closePages = (): void => {};

async function start(init: ReplayWorkerInit): Promise<void> {
  // nothing to log here (the parent loaded the same types and logged them); no pino to load
  const registry = await buildRegistry(init.config, { info: () => {} });
  const auditor = new TransactionAuditor(registry, init.exact);
  const pages = new SqliteAuditPages(init.file);
  closePages = () => pages.close();
  audit = (after, upTo) => {
    const counts = emptyCounts();
    for (const e of pages.entries(after, upTo, init.since)) {
      // the log layer knows no machine types: its RecordEvent is what eventOfRecord types TransEvent
      const events = e.events as unknown as TransEvent[];
      // the exact audit's records, as read but without `cmd` (AuditEventRow)
      auditor.auditEvents(counts, e.gid, events, e.summary, () => events.map((ev, i) => recordOfEvent(e.gid, e.seqs[i]!, ev, '')));
    }
    return counts;
  };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

process.on('message', (m: ReplayWorkerRequest) => {
  if ('close' in m) {
    process.disconnect();
    return;
  }
  if ('init' in m) {
    start(m.init).then(() => reply({ ready: true }), (err: unknown) => reply({ error: errorText(err) }));
    return;
  }
  try {
    if (audit === undefined) throw new Error('a range before init');
    reply({ counts: audit(m.after, m.upTo) });
  } catch (err) {
    reply({ error: errorText(err) });
  }
});
// the parent died or closed the channel: nothing is left to audit for
process.on('disconnect', () => {
  closePages();
  process.exit(0);
});
