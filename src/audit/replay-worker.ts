/**
 * Worker-thread entry of the parallel `dtx replay --all` (parallel-replay.ts): reads pages of the
 * log through its own read-only connection and audits each transaction as `replayAll` does.
 * Protocol: `{after, upTo}` in, `{counts}` or `{error}` out; `{close: true}` ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { ResolvedConfig } from '../config/index.js';
import { buildRegistry } from '../extensions/trans-type-loader.js';
import { SqliteAuditPages } from '../log/sqlite/sqlite-audit-pages.js';
import { emptyCounts, TransactionAuditor } from './replay-all.js';

export interface ReplayWorkerInit {
  readonly file: string;
  /** the registry is built from it exactly as the CLI builds its own (built-ins + TransTypes) */
  readonly config: ResolvedConfig;
  readonly since: number;
  readonly exact: boolean;
}

export type ReplayWorkerRequest = { readonly after: number; readonly upTo: number } | { readonly close: true };

const port = parentPort;
if (port === null) throw new Error('replay-worker must run in a worker thread');
const init = workerData as ReplayWorkerInit;
const registry = await buildRegistry(init.config, pino({ level: 'silent' }));
const auditor = new TransactionAuditor(registry, init.exact);
const pages = new SqliteAuditPages(init.file);

port.on('message', (m: ReplayWorkerRequest) => {
  if ('close' in m) {
    pages.close();
    port.close();
    return;
  }
  try {
    const counts = emptyCounts();
    for (const e of pages.entries(m.after, m.upTo, init.since)) auditor.audit(counts, e.gid, e.records, e.summary);
    port.postMessage({ counts });
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
