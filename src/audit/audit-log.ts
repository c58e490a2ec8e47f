import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ResolvedConfig } from '../config/index.js';
import type { EventLog } from '../log/event-log.js';
import { isDataDirLocked } from '../log/sqlite/sqlite-database.js';
import { SqliteEventLog } from '../log/sqlite/sqlite-event-log.js';

/** The log a read-only command (`replay`, `list`, `show`) reads, and what to call it in messages. */
export interface AuditLog {
  readonly log: EventLog;
  /** `/abs/data/dtx.db`, or `kafka topic dtx.events at 127.0.0.1:9092` */
  readonly source: string;
  /** the SQLite file other connections may read (parallel audit): the data dir's, or the Kafka replica's */
  readonly file?: string;
  dispose(): Promise<void>;
}

/** The source can not be read as asked (no data there, or a running dtx owns it): a usage problem. */
export class AuditSourceError extends Error {
  override readonly name = 'AuditSourceError';
}

/**
 * Opens the log of the configuration for reading. sqlite: the data dir's `dtx.db`, which must exist
 * (a mistyped dir is reported, never created) and must not be owned by a running dtx (then
 * `--server` is the way). kafka: the events topic itself, copied into a throwaway replica up to
 * its current end, so the audit trusts no worker's local state and creates no topic; the parallel
 * audit's workers read that replica's file.
 */
export async function openAuditLog(config: ResolvedConfig): Promise<AuditLog> {
  if (config.Store.Driver === 'sqlite') return openSqlite(config.Store.DataDir);
  // loaded only here: the embedded case never pays for kafkajs
  const [{ KafkaEventLog }, { kafkaSettingsOf }] = await Promise.all([import('../log/kafka/kafka-event-log.js'), import('../log/kafka/kafka-settings.js')]);
  const settings = kafkaSettingsOf(config, 'dtx-audit'); // reads the TLS files: a config error before anything is made
  const dir = mkdtempSync(path.join(tmpdir(), 'dtx-audit-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const log = await KafkaEventLog.open({ settings, dataDir: dir, logger, audit: true }).catch((err: unknown) => {
    cleanup();
    throw err;
  });
  await log.catchUp();
  return {
    log,
    source: `kafka topic ${config.Store.KafkaPrefix}.events at ${config.Store.KafkaBrokers.join(',')}`,
    file: log.replica.log.file,
    dispose: async () => {
      await log.close();
      cleanup();
    },
  };
}

function openSqlite(dataDir: string): AuditLog {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, 'dtx.db');
  if (!existsSync(file)) {
    const what = existsSync(dir) ? `${dir} holds no dtx log (no dtx.db)` : `data dir ${dir} does not exist`;
    throw new AuditSourceError(`${what}; point at dtx's data dir with --data-dir <dir> (STORE_DATA_DIR, or -c <conf.yml>), or ask a running dtx with --server <url>`);
  }
  try {
    const log = SqliteEventLog.open({ dir, syncCommit: false, sharedReaders: true });
    return { log, source: file, file, dispose: () => log.close() };
  } catch (err) {
    if (isDataDirLocked(err)) {
      throw new AuditSourceError(`${file} is in use by a running dtx; ask it with --server <url> (e.g. --server http://127.0.0.1:36789)`);
    }
    throw err;
  }
}
