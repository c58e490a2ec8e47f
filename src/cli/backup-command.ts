import { setPriority } from 'node:os';
import path from 'node:path';
import { isDataDirLocked } from '../log/sqlite/sqlite-database.js';
import { backupLog, restoreLog, type CopiedLog } from '../log/sqlite/sqlite-backup.js';
import { loadConfig, type ConfigFlags } from './cli-config.js';

/**
 * `dtx backup <file>` and `dtx restore <file>` (src/log/sqlite/sqlite-backup.ts): a consistent copy
 * of the embedded log, taken while dtx runs or not, and that copy made the log of an empty data
 * dir, offline. Both run on the host of the data dir. Exit codes: 0 done, 1 failure (the copy could
 * not be made or checked, restore while a dtx runs), 2 usage or configuration (a Kafka store).
 */
const fail = (command: string, code: number, message: string) => {
  process.stderr.write(`dtx ${command}: ${message}\n`);
  process.exitCode = code;
};

const describe = (c: CopiedLog) => `${c.transactions} transactions (${c.events} events, ${(c.bytes / 1e6).toFixed(1)} MB)`;

/** The data dir of the embedded log; undefined (after saying why, exit 2) for a Kafka store. */
function dataDirOf(command: string, flags: ConfigFlags): string | undefined {
  const { config } = loadConfig(flags);
  if (config.Store.Driver === 'sqlite') return path.resolve(config.Store.DataDir);
  fail(command, 2, `works on the embedded log (Store.Driver sqlite), not on ${config.Store.Driver}: the Kafka topics are the durable record (back them up with Kafka's tools: replication, MirrorMaker)`);
  return undefined;
}

export function backupCommand(dest: string, flags: ConfigFlags): void {
  const dir = dataDirOf('backup', flags);
  if (dir === undefined) return;
  const started = performance.now();
  try {
    // beside a dtx that serves, the copy takes what the machine has left (measured: docs/benchmarks.md, "Backup under load")
    setPriority(19);
    const copied = backupLog(dir, path.resolve(dest));
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`backed up ${describe(copied)} of ${dir} to ${path.resolve(dest)} in ${ms} ms${copied.online ? ', while dtx ran on it' : ''}\n`);
  } catch (err) {
    fail('backup', 1, (err as Error).message);
  }
}

export function restoreCommand(backup: string, flags: ConfigFlags): void {
  const dir = dataDirOf('restore', flags);
  if (dir === undefined) return;
  try {
    const copied = restoreLog(path.resolve(backup), dir);
    process.stdout.write(`restored ${describe(copied)} from ${path.resolve(backup)} into ${dir}; start dtx on it\n`);
  } catch (err) {
    fail('restore', 1, isDataDirLocked(err) ? `a running dtx, or another dtx command (backup, prune), holds ${dir}: stop it or let it finish first (restore runs offline)` : (err as Error).message);
  }
}
