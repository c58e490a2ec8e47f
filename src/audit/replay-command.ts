import { createBuiltinRegistry, type TransTypeRegistry } from '../../machines/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import { kafkaSettingsOf } from '../log/kafka/kafka-settings.js';
import { SqliteEventLog } from '../log/sqlite/sqlite-event-log.js';
import type { EventLog } from '../log/event-log.js';
import { transactionHistory, type TransactionHistory } from './transaction-history.js';
import { progressLine, renderHistory } from './render-timeline.js';
import { replayAll } from './replay-all.js';
import { formatDiff } from './json-diff.js';
import { printable } from './printable.js';

export interface ReplayOptions {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly since?: string;
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

/** Exit codes: 0 verified, 1 divergence or replay failure, 3 unknown gid, 2 usage/config. */
export async function runReplay(gid: string | undefined, opts: ReplayOptions, config: ResolvedConfig, io: Out, registry: TransTypeRegistry = createBuiltinRegistry()): Promise<number> {
  if (opts.server !== undefined) {
    if (opts.all || gid === undefined) {
      io.err('dtx replay: --server works with one gid; run `dtx replay --all` where the data dir is not in use\n');
      return 2;
    }
    const token = opts.token ?? config.Auth.Tokens[0];
    const res = await fetch(`${opts.server.replace(/\/$/, '')}/api/dtx/history?gid=${encodeURIComponent(gid)}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (res.status === 404) return notFound(io, gid);
    if (!res.ok) throw new Error(`${opts.server} answered ${res.status}: ${await res.text()}`);
    return report((await res.json()) as TransactionHistory, opts, io);
  }
  const { log, dispose } = await openAuditLog(config);
  try {
    if (opts.all) return await auditAll(log, registry, opts, io);
    if (gid === undefined) {
      io.err('dtx replay: give a gid or --all\n');
      return 2;
    }
    const h = await transactionHistory(log, registry, gid);
    return h === undefined ? notFound(io, gid) : report(h, opts, io);
  } finally {
    await dispose();
  }
}

/**
 * The log to audit and how to dispose of it. sqlite: the data dir (refused while dtx runs: it
 * holds the lock). kafka: the events topic itself, copied into a throwaway replica up to its
 * current end, so the audit trusts no worker's local state and creates no topic.
 */
async function openAuditLog(config: ResolvedConfig): Promise<{ log: EventLog; dispose(): Promise<void> }> {
  if (config.Store.Driver === 'sqlite') {
    const log = SqliteEventLog.open({ dir: config.Store.DataDir, syncCommit: false });
    return { log, dispose: () => log.close() };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dtx-audit-'));
  const dispose = async (log?: EventLog): Promise<void> => {
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const log = await KafkaEventLog.open({ settings: kafkaSettingsOf(config, 'dtx-audit'), dataDir: dir, logger, createTopics: false }).catch(async (err: unknown) => {
    await dispose();
    throw err;
  });
  await log.catchUp();
  return { log, dispose: () => dispose(log) };
}

function notFound(io: Out, gid: string): number {
  io.err(`dtx replay: no events for gid '${printable(gid)}'\n`);
  return 3;
}

function report(h: TransactionHistory, opts: ReplayOptions, io: Out): number {
  io.out(opts.json ? `${JSON.stringify(h, null, 2)}\n` : renderHistory(h));
  return h.verified ? 0 : 1;
}

function parseSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const n = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isFinite(n)) throw new Error(`--since '${since}' is neither epoch milliseconds nor an ISO time`);
  return n;
}

async function auditAll(log: EventLog, registry: TransTypeRegistry, opts: ReplayOptions, io: Out): Promise<number> {
  const s = await replayAll(log, registry, parseSince(opts.since), (done, total) => {
    io.err(io.isTTY ? `\r${progressLine(done, total)}` : `${progressLine(done, total)}\n`);
  });
  if (io.isTTY) io.err('\n');
  if (opts.json) io.out(`${JSON.stringify(s, null, 2)}\n`);
  else {
    io.out(`audited ${s.transactions} transactions, ${s.events} events in ${Math.round(s.ms)} ms (${s.eventsPerSecond} events/s)\n`);
    io.out(`verified ${s.verified}, divergent ${s.divergent.length}, failed ${s.failed.length}\n`);
    for (const d of s.divergent.slice(0, 20)) io.out(`DIVERGENCE ${printable(d.gid)}\n${printable(formatDiff(d.diff))}\n`);
    for (const f of s.failed.slice(0, 20)) io.out(`FAILED ${printable(f.gid)}: ${printable(f.error)}\n`);
  }
  return s.divergent.length === 0 && s.failed.length === 0 ? 0 : 1;
}
