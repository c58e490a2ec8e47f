import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDataDirLocked } from '../log/sqlite/sqlite-database.js';
import { SqlitePruneLog, storedSchemaVersion, type PruneResult } from '../log/sqlite/sqlite-prune.js';
import { SCHEMA_VERSION } from '../log/sqlite/sqlite-schema.js';
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

/** An ISO 8601 date (midnight UTC), or a date and time with its zone (`Z` or an offset). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Whether year, month and day name a day of the calendar (2026-02-30 does not). */
function isCalendarDay(y: number, m: number, d: number): boolean {
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/**
 * `--finished-before`: an age (`30d`, `12h`, `90m`, `45s`: that long before `now`) or an ISO time;
 * undefined for anything else, a day the calendar has not, a time without its zone or one out of
 * Date's range. Strict, as the command deletes: a bare number could mean days, a zoneless time
 * would depend on the machine's zone.
 */
export function pruneCutoff(value: string, now: number): number | undefined {
  const age = /^(\d{1,9})([smhd])$/.exec(value);
  const iso = ISO_TIME.exec(value);
  const at = age !== null ? now - Number(age[1]) * UNIT_MS[age[2]!]! : iso !== null && isCalendarDay(Number(iso[1]), Number(iso[2]), Number(iso[3])) ? Date.parse(value) : NaN;
  return Number.isFinite(at) && Math.abs(at) <= MAX_DATE_MS ? at : undefined;
}

/** The largest epoch milliseconds a Date holds. */
const MAX_DATE_MS = 8.64e15;

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
  const now = Date.now();
  const before = pruneCutoff(flags.finishedBefore, now);
  if (before === undefined) return fail(2, `--finished-before '${flags.finishedBefore}' is neither an age (30d, 12h, 90m, 45s) nor an ISO time with its zone (2026-11-01T00:00:00Z, or a date: 2026-11-01)`);
  if (before > now) return fail(2, `--finished-before ${new Date(before).toISOString()} is in the future: every finished transaction would go`);
  const dir = path.resolve(config.Store.DataDir);
  const file = path.join(dir, 'dtx.db');
  if (!existsSync(file)) return fail(2, `${dir} holds no dtx log (no dtx.db); point at dtx's data dir with --data-dir <dir> (STORE_DATA_DIR, or -c <conf.yml>)`);
  // opening converts an older log in place (version 1's tables, version 2's number), which a dry run must not do, and an older build could not read it after
  const version = storedSchemaVersion(file);
  if (version !== undefined && version < SCHEMA_VERSION) return fail(2, `${file} is a version ${version} log: start this dtx once on it (it converts the log), then prune`);
  let log: SqlitePruneLog;
  try {
    log = SqlitePruneLog.open({ dir, syncCommit: true });
  } catch (err) {
    return fail(1, isDataDirLocked(err) ? `a running dtx owns ${dir}: stop it first (prune runs offline)` : err instanceof Error ? err.message : String(err));
  }
  let committed: PruneResult | undefined;
  try {
    const cutoff = new Date(before).toISOString();
    const tty = process.stderr.isTTY === true && flags.dryRun !== true;
    const result = log.pruneFinished(before, flags.dryRun === true, (r) => {
      committed = r;
      if (tty) process.stderr.write(`\r${r.transactions} transactions pruned…`);
    });
    if (tty) process.stderr.write('\n');
    out(`${flags.dryRun ? 'would prune' : 'pruned'} ${summary(result)} last changed before ${cutoff} from ${log.file}\n`);
    if (flags.vacuum && !flags.dryRun) {
      const { before: from, after: to } = log.vacuum();
      out(`vacuumed: ${from} -> ${to} bytes\n`);
    }
  } catch (err) {
    const done = committed === undefined || flags.dryRun ? '' : ` after pruning ${summary(committed)} (committed)`;
    fail(1, `failed${done}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    void log.close();
  }
}
