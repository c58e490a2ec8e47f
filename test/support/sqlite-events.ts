import Database from 'better-sqlite3';
import path from 'node:path';

export interface EventRow {
  readonly gid: string;
  readonly seq: number;
  readonly type: string;
  readonly data: string;
}

/** Every event of a stopped (or killed) dtx's embedded log, by gid and seq, read-only. */
export function readSqliteEvents(dataDir: string): EventRow[] {
  const db = new Database(path.join(dataDir, 'dtx.db'), { readonly: true });
  try {
    return db.prepare('SELECT g.gid AS gid, e.seq, e.type, e.data FROM events e JOIN gids g ON g.id = e.tid ORDER BY g.gid, e.seq').all() as EventRow[];
  } finally {
    db.close();
  }
}

/** `gid/branchId/op` of every branch success the log made durable. */
export function durableSuccesses(events: readonly EventRow[]): Set<string> {
  return new Set(
    events
      .filter((e) => e.type === 'BranchSucceeded')
      .map((e) => ({ gid: e.gid, ...(JSON.parse(e.data) as { branchId: string; op: string }) }))
      .map((d) => `${d.gid}/${d.branchId}/${d.op}`),
  );
}
