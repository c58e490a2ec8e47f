import { createBuiltinRegistry, type TransTypeRegistry } from '../../machines/index.js';
import type { ResolvedConfig } from '../config/index.js';
import type { EventLog } from '../log/event-log.js';
import { auditStoredStates } from './stored-state-audit.js';
import { transactionHistory, type TransactionHistory } from './transaction-history.js';
import { progressLine, renderHistory } from './render-timeline.js';
import { availableParallelism } from 'node:os';
import { replayAll } from './replay-all.js';
import { PARALLEL_MIN_TRANSACTIONS, replayAllParallel } from './parallel-replay.js';
import { formatDiff } from './json-diff.js';
import { printable, terminalSafeJson } from './printable.js';
import { openAuditLog } from './audit-log.js';
import { DtxServerClient } from './dtx-server-client.js';

export interface ReplayOptions {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly since?: string;
  /** --all: fold every transaction through XState, not the fast fold */
  readonly exact?: boolean;
  /**
   * --all (embedded or Kafka log): worker processes that read and fold (1 = this thread only). Unset:
   * the machine's cores, once the audit holds PARALLEL_MIN_TRANSACTIONS transactions.
   */
  readonly threads?: number;
  /** base URL of a running dtx (its data dir is locked while it runs) */
  readonly server?: string;
  /** bearer token for --server (default: the first of Auth.Tokens) */
  readonly token?: string;
}

export interface Out {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

/**
 * `dtx replay`. Exit codes: 0 verified, 1 divergence or replay failure, 3 unknown gid, 2 usage or
 * config. Throws `AuditSourceError` (no log at the data dir, or a running dtx owns it) and
 * `ServerUnreachable` (--server) with a message naming the fix.
 */
export async function runReplay(gid: string | undefined, opts: ReplayOptions, config: ResolvedConfig, io: Out, registry: TransTypeRegistry = createBuiltinRegistry()): Promise<number> {
  if (opts.server !== undefined) {
    if (opts.all || gid === undefined) {
      io.err('dtx replay: --server works with one gid; run `dtx replay --all` where the data dir is not in use\n');
      return 2;
    }
    const client = new DtxServerClient(opts.server, opts.token ?? config.Auth.Tokens[0]);
    const { body } = await client.getJson<TransactionHistory>(`/api/dtx/history?gid=${encodeURIComponent(gid)}`);
    return body === undefined ? notFound(io, gid, client.base) : report(body, opts, io, client.base);
  }
  if (!opts.all && gid === undefined) {
    io.err('dtx replay: give a gid or --all\n');
    return 2;
  }
  const { log, source, file, dispose } = await openAuditLog(config);
  try {
    if (opts.all) return await auditAll(log, registry, opts, io, source, file === undefined ? undefined : { file, config });
    const h = await transactionHistory(log, registry, gid!);
    return h === undefined ? notFound(io, gid!, source) : report(h, opts, io, source);
  } finally {
    await dispose();
  }
}

function notFound(io: Out, gid: string, source: string): number {
  io.err(`dtx replay: no events for gid '${printable(gid)}' in ${source}\n`);
  return 3;
}

function report(h: TransactionHistory, opts: ReplayOptions, io: Out, source: string): number {
  io.out(opts.json ? `${terminalSafeJson(h, 2)}\n` : renderHistory(h, source));
  return h.verified ? 0 : 1;
}

function parseSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const n = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isFinite(n)) throw new Error(`--since '${since}' is neither epoch milliseconds nor an ISO time`);
  return n;
}

/**
 * `parallel`: the sqlite file and the config the registry was built from, so worker processes can
 * build the same one (runReplay's callers pass `buildRegistry(config)` or the built-ins).
 */
async function auditAll(log: EventLog, registry: TransTypeRegistry, opts: ReplayOptions, io: Out, source: string, parallel?: { file: string; config: ResolvedConfig }): Promise<number> {
  const since = parseSince(opts.since);
  const options = {
    exact: opts.exact === true,
    onProgress: (done: number, total: number) => io.err(io.isTTY ? `\r${progressLine(done, total)}` : `${progressLine(done, total)}\n`),
  };
  const total = await log.countAll(since);
  const threads = opts.threads ?? (total >= PARALLEL_MIN_TRANSACTIONS ? availableParallelism() : 1);
  const s = parallel !== undefined && threads > 1
    ? await replayAllParallel(parallel.file, parallel.config, since, total, { ...options, threads })
    : await replayAll(log, registry, since, { ...options, total });
  if (io.isTTY) io.err('\n');
  const states = await auditStoredStates(log, registry, since);
  if (opts.json) io.out(`${terminalSafeJson({ ...s, storedStates: states }, 2)}\n`);
  else {
    io.out(`audited ${s.transactions} transactions of ${source}, ${s.events} events in ${Math.round(s.ms)} ms (${s.eventsPerSecond} events/s, ${s.workers === 0 ? 'one thread' : s.workers === 1 ? '1 worker process' : `${s.workers} worker processes`})\n`);
    io.out(`verified ${s.verified}, divergent ${s.divergent.length}, failed ${s.failed.length}\n`);
    io.out(`folded through XState: ${s.exactFolds}${opts.exact ? ' (--exact)' : ' (the others by the fast fold)'}\n`);
    for (const d of s.divergent.slice(0, 20)) io.out(`DIVERGENCE ${printable(d.gid)}\n${printable(formatDiff(d.diff))}\n`);
    for (const f of s.failed.slice(0, 20)) io.out(`FAILED ${printable(f.gid)}: ${printable(f.error)}\n`);
    if (log.scanStates !== undefined) io.out(`stored states (restarts and loads start there): ${states.checked} checked, divergent ${states.divergent.length}\n`);
    for (const d of states.divergent.slice(0, 20)) io.out(`STORED STATE DIVERGES ${printable(d.gid)}\n${printable(formatDiff(d.diff))}\n`);
  }
  return s.divergent.length === 0 && s.failed.length === 0 && states.divergent.length === 0 ? 0 : 1;
}
