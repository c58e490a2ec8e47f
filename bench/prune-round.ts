/**
 * Measures one round of `Store.PruneFinishedAfter` (src/log/sqlite/finished-pruner.ts) on a filled
 * embedded log: how long the round takes and how long each chunk holds the main thread (what a
 * request waits behind it), with background fsyncs as `dtx serve` runs it.
 *
 *   npm run build && node dist/bench/replay-fill.js /tmp/plog 500000 && node dist/bench/prune-round.js /tmp/plog
 *
 * First it makes the finished-by-time index (as `dtx serve` does at start with pruning on) and runs
 * a round with nothing due, then a round with every finished transaction of the log due (its clock
 * is ten years ahead): run it on a copy of a log you want to keep. Prints one line: the index's and
 * the quiet round's time, what was pruned, the round's time, the chunks and their main-thread time
 * (p50, p99, max), transactions per second.
 */
import pino from 'pino';
import { finishedTimeIndex } from '../src/log/sqlite/finished-prune.js';
import { FinishedPruner } from '../src/log/sqlite/finished-pruner.js';
import { SqliteEventLog } from '../src/log/sqlite/sqlite-event-log.js';

export interface PruneRoundFigures {
  /** making the finished-by-time index on the filled log */
  readonly indexMs: number;
  /** a round with nothing due */
  readonly quietMs: number;
  readonly transactions: number;
  readonly events: number;
  readonly roundMs: number;
  readonly chunks: number;
  readonly chunkMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/** One round over every finished transaction of the log in `dir`, timed chunk by chunk. */
export async function pruneRound(dir: string): Promise<PruneRoundFigures> {
  const log = SqliteEventLog.open({ dir, syncCommit: true, writer: 'background' });
  const times: number[] = [];
  const write = log.writeWhenIdle.bind(log);
  log.writeWhenIdle = (work) => {
    const t0 = performance.now();
    try {
      return write(work);
    } finally {
      times.push(performance.now() - t0);
    }
  };
  const silent = pino({ level: 'silent' });
  const timed = async (work: () => unknown): Promise<number> => {
    const t0 = performance.now();
    await work();
    return performance.now() - t0;
  };
  const indexMs = await timed(() => log.writeWhenIdle((db) => finishedTimeIndex(db, true)));
  const quiet = new FinishedPruner(log, TEN_YEARS_MS, silent, Date.now, 3_600_000);
  const quietMs = await timed(() => quiet.round());
  await quiet.close();
  times.length = 0;
  const pruner = new FinishedPruner(log, 1000, silent, () => Date.now() + TEN_YEARS_MS, 3_600_000);
  try {
    const t0 = performance.now();
    const done = await pruner.round();
    const roundMs = performance.now() - t0;
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
    return { indexMs, quietMs, transactions: done.transactions, events: done.events, roundMs, chunks: times.length, chunkMs: { p50: at(0.5), p99: at(0.99), max: times.at(-1) ?? 0 } };
  } finally {
    await pruner.close();
    await log.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: node dist/bench/prune-round.js <data dir holding dtx.db>\n');
    process.exit(2);
  }
  const f = await pruneRound(dir);
  const ms = (n: number) => n.toFixed(1);
  process.stdout.write(`index made in ${Math.round(f.indexMs)} ms; a round with nothing due ${ms(f.quietMs)} ms; pruned ${f.transactions} transactions (${f.events} events) in ${Math.round(f.roundMs)} ms (${Math.round(f.transactions / (f.roundMs / 1000))}/s); ${f.chunks} chunks holding the main thread p50 ${ms(f.chunkMs.p50)} ms, p99 ${ms(f.chunkMs.p99)} ms, max ${ms(f.chunkMs.max)} ms\n`);
}
