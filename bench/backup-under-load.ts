/**
 * What `dtx backup` costs a dtx that serves (src/log/sqlite/sqlite-backup.ts): `dtx serve` runs on
 * the log in `dir` (fsync on, `dtx serve`'s node flags) under a closed loop of empty sagas with
 * wait_result at concurrency 50; after `--before` seconds `dtx backup` copies the log (a separate
 * process, as an operator runs it), and the load goes on for `--after` seconds once the copy is
 * done. Prints, for the submits sent before, during and after the copy: sagas/s, submit p50, p99
 * and max; and the copy's time and size.
 *
 *   npm run build && node dist/bench/replay-fill.js /tmp/blog 500000 && node dist/bench/backup-under-load.js /tmp/blog
 *
 * The log grows by the load: run it on a copy of a log you want to keep.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SERVE_NODE_FLAGS } from '../src/heap-policy.js';
import { startDtx } from '../scripts/dtx-server-process.js';
import { percentile, runLoad, type Sample } from './load-generator.js';
import { submitBody } from './measured-run.js';

const CLI = path.resolve(import.meta.dirname, '../src/cli.js');
const WARMUP_MS = 2000;

interface Phase {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

/** The submits sent in [from, to): per second, and their latency percentiles. */
function phaseLine(samples: readonly Sample[], p: Phase): string {
  const ms = samples.filter((s) => s.start >= p.from && s.start < p.to && s.submitMs !== undefined).map((s) => s.submitMs!).sort((a, b) => a - b);
  const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1));
  return `${p.name.padEnd(7)} ${((ms.length * 1000) / (p.to - p.from)).toFixed(0).padStart(6)} sagas/s  submit p50 ${f(percentile(ms, 50))} ms  p99 ${f(percentile(ms, 99))} ms  max ${f(ms.at(-1))} ms  (${ms.length} submits over ${((p.to - p.from) / 1000).toFixed(1)} s)`;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: backup-under-load <filled data dir> [--before 8] [--after 8]');
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const beforeMs = arg('--before', 8) * 1000;
  const afterMs = arg('--after', 8) * 1000;
  const dest = path.join(path.dirname(path.resolve(dir)), `${path.basename(dir)}-backup.db`);
  rmSync(dest, { force: true });
  const dtx = await startDtx({ syncCommit: true, nodeArgs: [...SERVE_NODE_FLAGS], dataDir: path.resolve(dir), env: { LOG_LEVEL: 'warn' } });
  try {
    let copy: { from: number; to: number; stdout: string } | undefined;
    const backup = (async () => {
      await new Promise((r) => setTimeout(r, WARMUP_MS + beforeMs));
      const from = performance.now();
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'backup', dest, '--data-dir', path.resolve(dir)]);
      copy = { from, to: performance.now(), stdout: stdout.trim() };
    })();
    const load = runLoad({
      origins: [dtx.origin], concurrency: 50, warmupMs: WARMUP_MS, maxRequests: 10_000_000, body: submitBody('empty', undefined), gidPrefix: 'backup-load',
      sampleRate: 1, pollCompletion: false, requestTimeoutMs: 30_000, drainMs: 5_000, alive: () => dtx.exitInfo === undefined,
      // long enough for any copy; the run is cut once the copy is done and `after` has passed
      measureMs: beforeMs + 600_000,
    });
    const start = performance.now();
    await backup;
    const c = copy!;
    await new Promise((r) => setTimeout(r, afterMs));
    const end = performance.now();
    // ends the closed loop early: the generator stops submitting once dtx is "gone"
    await dtx.stop();
    const result = await load;
    const samples = result.samples;
    const phases: Phase[] = [
      { name: 'before', from: start + WARMUP_MS, to: c.from },
      { name: 'during', from: c.from, to: c.to },
      { name: 'after', from: c.to, to: end },
    ];
    process.stdout.write(`${c.stdout}\n${phases.map((p) => phaseLine(samples, p)).join('\n')}\nerrors ${result.errors} (the stop at the end included)\n`);
  } finally {
    if (dtx.exitInfo === undefined) await dtx.stop();
  }
}

await main();
