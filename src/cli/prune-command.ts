import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDataDirLocked } from '../log/sqlite/sqlite-database.js';
import { SqlitePruneLog, type PruneResult } from '../log/sqlite/sqlite-prune.js';
import { loadConfig, type ConfigFlags } from './cli-config.js';

/**
 * `dtx prune`: deletes the embedded log's finished transactions that last changed before a time,
 * with everything they stored (src/log/sqlite/sqlite-prune.ts). Offline: it takes the data dir's
 * lock, so it refuses while a dtx runs on it. Exit codes: 0 done, 1 the log is owned by a running
 * dtx or failed, 2 usage or configuration (a bad time, no log at the data dir, a Kafka store).
 */
export interface PruneFlags extends ConfigFlags {
  readonly finishedBefore: string;
  readonly dryRun?: boolean;
  readonly vacuum?: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO 8601 date, or date and time (with seconds' fractions and a zone, or none). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * `--finished-before`: an age (`30d`, `12h`, `90m`, `45s`: that long before `now`) or an ISO time;
 * undefined for anything else. Strict, as the command deletes: a bare number could mean days.
 */
export function pruneCutoff(value: string, now: number): number | undefined {
  const age = /^(\d{1,9})([smhd])$/.exec(value);
  if (age !== null) return now - Number(age[1]) * UNIT_MS[age[2]!]!;
  const at = ISO_TIME.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(at) ? at : undefined;
}

const out = (s: string) => process.stdout.write(s);
const fail = (code: number, message: string) => {
  process.stderr.write(`dtx prune: ${message}\n`);
  process.exitCode = code;
};

const summary = (r: PruneResult) => `${r.transactions} finished transactions (${r.events} events, ${r.states} stored states)`;

export function pruneCommand(flags: PruneFlags): void {
  const { config } = loadConfig(flags);
  if (config.Store.Driver !== 'sqlite') {
    return fail(2, `prune works on the embedded log (Store.Driver sqlite), not on ${config.Store.Driver}: the Kafka events topic is the audit record every worker's replica copies`);
  }
  const before = pruneCutoff(flags.finishedBefore, Date.now());
  if (before === undefined) return fail(2, `--finished-before '${flags.finishedBefore}' is neither an age (30d, 12h, 90m, 45s) nor an ISO time (2026-11-01T00:00:00Z)`);
  const dir = path.resolve(config.Store.DataDir);
  if (!existsSync(path.join(dir, 'dtx.db'))) return fail(2, `${dir} holds no dtx log (no dtx.db); point at dtx's data dir with --data-dir <dir> (STORE_DATA_DIR, or -c <conf.yml>)`);
  let log: SqlitePruneLog;
  try {
    log = SqlitePruneLog.open({ dir, syncCommit: true });
  } catch (err) {
    return fail(1, isDataDirLocked(err) ? `a running dtx owns ${dir}: stop it first (prune runs offline)` : err instanceof Error ? err.message : String(err));
  }
  try {
    const cutoff = new Date(before).toISOString();
    const progress = process.stderr.isTTY === true ? (r: PruneResult) => process.stderr.write(`\r${r.transactions} transactions pruned…`) : undefined;
    const result = log.pruneFinished(before, flags.dryRun === true, progress);
    if (progress !== undefined) process.stderr.write('\n');
    out(`${flags.dryRun ? 'would prune' : 'pruned'} ${summary(result)} last changed before ${cutoff} from ${log.file}\n`);
    if (flags.vacuum && !flags.dryRun) {
      const { before: from, after: to } = log.vacuum();
      out(`vacuumed: ${from} -> ${to} bytes\n`);
    }
  } catch (err) {
    fail(1, err instanceof Error ? err.message : String(err));
  } finally {
    void log.close();
  }
}
