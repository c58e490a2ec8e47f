/**
 * Micro benchmark of the SQLite event log's append path (group commit, fsync per batch).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sqlite-append.js [records=100000] [batch=50] [dir] [gids=sequential]
 *
 * Each batch carries `batch` records spread over batch/5 transactions (5 events each, like a small
 * saga's life) plus one summary per transaction, which is what the partition processor appends.
 * `gids`: `sequential` (each new gid sorts after the last) or `clients` (the load generator's
 * pattern: 50 clients each counting its own gids, `bench-c<client>-<n>`, the batch's transactions
 * from random clients, so a batch's gids land at up to 50 places of the key space). Pass `''` as
 * `dir` for a temp dir.
 * Prints records/s, batches/s and append latency percentiles. The data dir is a fresh temp dir
 * unless given, and is deleted afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogRecord, TransSummary } from '../src/log/event-log.js';
import { SqliteEventLog } from '../src/log/sqlite/sqlite-event-log.js';

const EVENTS_PER_TRANS = 5;

const CLIENTS = 50;

/** The gid of transaction `t` of batch `batchNo`, per the `gids` argument. */
function gidMaker(mode: string): (batchNo: number, t: number) => string {
  if (mode === 'sequential') return (batchNo, t) => `bench-${batchNo}-${t}`;
  if (mode !== 'clients') throw new Error(`gids must be sequential or clients, not ${mode}`);
  const counters = new Array<number>(CLIENTS).fill(0);
  return () => {
    const c = Math.floor(Math.random() * CLIENTS);
    return `bench-c${c}-${counters[c]!++}`;
  };
}

function buildBatch(batchNo: number, size: number, at: number, gidOf: (batchNo: number, t: number) => string): { records: LogRecord[]; summaries: TransSummary[] } {
  const records: LogRecord[] = [];
  const summaries: TransSummary[] = [];
  const transCount = Math.max(1, Math.floor(size / EVENTS_PER_TRANS));
  for (let t = 0; t < transCount && records.length < size; t++) {
    const gid = gidOf(batchNo, t);
    for (let seq = 1; seq <= EVENTS_PER_TRANS && records.length < size; seq++) {
      records.push({
        v: 1,
        gid,
        seq,
        type: seq === 1 ? 'TransCreated' : 'BranchSucceeded',
        at,
        data: { branchId: `0${seq}`, op: 'action', url: 'http://localhost:8081/api/busi/TransOut' },
        cmd: `${gid}-c${seq}`,
      });
    }
    summaries.push({
      gid,
      transType: 'saga',
      status: 'succeed',
      createTime: at,
      updateTime: at,
      nextCronTime: undefined,
      finished: true,
      view: JSON.stringify({ transaction: { gid, trans_type: 'saga', status: 'succeed' }, branches: [] }),
    });
  }
  return { records, summaries };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 100_000);
  const batchSize = Number(process.argv[3] ?? 50);
  const given = process.argv[4] || undefined;
  const gids = process.argv[5] ?? 'sequential';
  const gidOf = gidMaker(gids);
  const dir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-bench-log-'));
  const log = SqliteEventLog.open({ dir, syncCommit: true });
  const batches = Math.ceil(total / batchSize);
  const prepared = Array.from({ length: batches }, (_, i) => buildBatch(i, Math.min(batchSize, total - i * batchSize), Date.now(), gidOf));
  const latencies: number[] = [];
  let transactions = 0;
  const started = process.hrtime.bigint();
  for (const b of prepared) {
    const t0 = process.hrtime.bigint();
    await log.append(b.records, b.summaries);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    transactions += b.summaries.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await log.close();
  if (given === undefined) fs.rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const lines = [
    `sqlite event log, syncCommit=true, ${total} records in ${batches} batches of ${batchSize} (${transactions} transactions, ${gids} gids)`,
    `elapsed        ${seconds.toFixed(2)} s`,
    `records/s      ${Math.round(total / seconds)}`,
    `batches/s      ${Math.round(batches / seconds)}`,
    `transactions/s ${Math.round(transactions / seconds)}`,
    `append latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
      `max ${(latencies.at(-1) ?? 0).toFixed(2)} ms`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`sqlite-append failed: ${String(err)}\n`);
  process.exitCode = 1;
});
