import { describe, expect, it } from 'vitest';
import { foldRecords, LiveTransaction } from '../../../src/engine/live-transaction.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * Kafka snapshots (src/cluster/snapshot-writer.ts) store a transaction's state value and context as
 * JSON; recovery restores them and folds only the later events. For every golden log and every
 * cut point, that must give exactly the state of folding all events.
 */
const files = goldenFiles();

describe('LiveTransaction.restore (snapshot + tail)', () => {
  it.each(files)('%s: every cut point restores to the full fold', (file) => {
    const records = readGoldenLog(file);
    const reg = goldenRegistry();
    const gid = records[0]!.gid;
    const full = foldRecords(reg, gid, records)!;
    for (let cut = 1; cut <= records.length; cut += 1) {
      const head = foldRecords(reg, gid, records.slice(0, cut))!;
      const stored = JSON.parse(JSON.stringify({ value: head.snapshot.value, context: head.snapshot.context })) as { value: unknown; context: unknown };
      const live = LiveTransaction.restore(gid, head.def, stored, head.seq, [...head.cmds]);
      for (const r of records.slice(cut)) live.apply(r);
      expect(live.seq, `cut ${cut}`).toBe(full.seq);
      expect(live.status, `cut ${cut}`).toBe(full.status);
      expect(live.snapshot.context, `cut ${cut}`).toEqual(full.snapshot.context);
      expect([...live.cmds], `cut ${cut}`).toEqual([...full.cmds]);
    }
  });
});
