/**
 * Fills a data dir for the `dtx replay --all` throughput measurement (docs/benchmarks.md, "Replay").
 *
 *   npm run build && node dist/bench/replay-fill.js <dir> [events=1000000]
 *
 * The transactions are copies of the golden logs of the built-in types (test/fixtures/event-logs/v1,
 * real recorded runs: saga, msg, tcc, xa, workflow, parked included; about 5 events each), each copy
 * under a new gid `<golden gid>~r<k>`, written round-robin until the log holds at least `events`
 * events. A copy's records and projection row are the template's with the gid replaced, the row
 * being what the engine wrote for the template (the fold's `summaryOf`), so every copy verifies.
 * The log is written through the embedded adapter's own append (no fsync), 2,000 events per commit.
 * `<dir>` must not hold a dtx log yet.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createBuiltinRegistry } from '../machines/index.js';
import { foldRecords } from '../src/engine/live-transaction.js';
import { summaryOf } from '../src/engine/trans-view.js';
import { decodeRecord } from '../src/log/codec.js';
import type { LogRecord, TransSummary } from '../src/log/event-log.js';
import { SqliteEventLog } from '../src/log/sqlite/sqlite-event-log.js';

/** test/fixtures/event-logs/v1 of the checkout, from bench/ or from dist/bench/. */
const GOLDEN_V1 = [path.resolve(import.meta.dirname, '../test/fixtures/event-logs/v1'), path.resolve(import.meta.dirname, '../../test/fixtures/event-logs/v1')].find((d) => existsSync(d));

interface Template {
  readonly gid: string;
  /** the records as JSON text, to copy by replacing the gid */
  readonly records: string;
  readonly summary: TransSummary;
}

export interface ReplayFill {
  readonly transactions: number;
  readonly events: number;
  readonly ms: number;
}

const EVENTS_PER_COMMIT = 2000;

/** The golden logs the built-in registry replays (custom example types such as quorum are left out). */
export function replayTemplates(): Template[] {
  if (GOLDEN_V1 === undefined) throw new Error('test/fixtures/event-logs/v1 not found: run from a dtx checkout');
  const registry = createBuiltinRegistry();
  const out: Template[] = [];
  for (const file of readdirSync(GOLDEN_V1).filter((f) => f.endsWith('.jsonl')).sort()) {
    const records = readFileSync(path.join(GOLDEN_V1, file), 'utf8').trimEnd().split('\n').map(decodeRecord);
    const first = records[0];
    const transType = (first?.data as { spec?: { transType?: string } } | undefined)?.spec?.transType;
    if (first === undefined || transType === undefined || registry.get(transType) === undefined) continue;
    const live = foldRecords(registry, first.gid, records);
    if (live === undefined) continue;
    out.push({ gid: first.gid, records: JSON.stringify(records), summary: summaryOf(live) });
  }
  return out;
}

function copyOf(t: Template, k: number): { records: LogRecord[]; summary: TransSummary } {
  const gid = `${t.gid}~r${k}`;
  const replace = (s: string) => s.split(t.gid).join(gid);
  return { records: JSON.parse(replace(t.records)) as LogRecord[], summary: { ...t.summary, gid, view: replace(t.summary.view) } };
}

/** Writes copies into a new log at `dir` until it holds at least `events` events. */
export async function fillReplayLog(dir: string, events: number): Promise<ReplayFill> {
  if (existsSync(path.join(dir, 'dtx.db'))) throw new Error(`${dir} already holds a dtx log; give an empty or new dir`);
  const t0 = performance.now();
  const templates = replayTemplates();
  const log = SqliteEventLog.open({ dir, syncCommit: false });
  let written = 0;
  let transactions = 0;
  try {
    let records: LogRecord[] = [];
    let summaries: TransSummary[] = [];
    for (let k = 1; written < events; k++) {
      for (const t of templates) {
        const c = copyOf(t, k);
        records.push(...c.records);
        summaries.push(c.summary);
        written += c.records.length;
        transactions += 1;
        if (records.length >= EVENTS_PER_COMMIT || written >= events) {
          await log.append(records, summaries);
          records = [];
          summaries = [];
        }
        if (written >= events) break;
      }
    }
  } finally {
    await log.close();
  }
  return { transactions, events: written, ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  const [dir, n] = process.argv.slice(2);
  const events = Number(n ?? 1_000_000);
  if (dir === undefined || !Number.isSafeInteger(events) || events < 1) {
    process.stderr.write('usage: node dist/bench/replay-fill.js <dir> [events=1000000]\n');
    process.exitCode = 2;
    return;
  }
  const r = await fillReplayLog(path.resolve(dir), events);
  process.stdout.write(`filled ${path.resolve(dir, 'dtx.db')}: ${r.transactions} transactions, ${r.events} events in ${Math.round(r.ms)} ms\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`replay-fill failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
