import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteReplicaLog } from '../../../src/log/sqlite/sqlite-replica-log.js';
import { rec, recs, summary } from '../../contract/event-log-builders.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * A Kafka takeover reads each open transaction of its partitions from the replica after the seq its
 * snapshot covers (`openAfterSeq`), not its whole history: the events before it are never read.
 */
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('SqliteReplicaLog.openAfterSeq', () => {
  it('yields the accepted open transactions with their events after from(gid); 0 reads all', async () => {
    dir = tempDir('dtx-replica-after-');
    const log = SqliteReplicaLog.open({ dir, fileName: 'replica.db', syncCommit: false, writer: 'inline' });
    try {
      log.appendWithMeta([...recs('a', 1, 5), ...recs('b', 1, 3), ...recs('c', 1, 2), rec('skip', 1)], [summary('a'), summary('b'), summary('c', { finished: true }), summary('skip')], {});
      const from = new Map([['a', 3], ['b', 0]]);
      const asked: string[] = [];
      const got = [...log.openAfterSeq((g) => g !== 'skip', (g) => (asked.push(g), from.get(g) ?? 0))];
      expect(got).toEqual([{ gid: 'a', records: recs('a', 4, 5) }, { gid: 'b', records: recs('b', 1, 3) }]);
      expect(asked).toEqual(['a', 'b']); // neither the finished one nor the one not accepted
      expect([...log.openAfterSeq(() => true, () => 5)].find((t) => t.gid === 'a')?.records).toEqual([]);
    } finally {
      await log.close();
    }
  });
});
