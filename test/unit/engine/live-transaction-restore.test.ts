import { describe, expect, it } from 'vitest';
import { foldRecords, foldStored, storedStateOf, UnknownTransType } from '../../../src/engine/live-transaction.js';
import type { StoredState } from '../../../src/log/event-log.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * A transaction's stored state (StoredState: the embedded log's `states`, Kafka's snapshots topic)
 * holds its state value and context as JSON; recovery restores it and folds only the later events.
 * For every golden log and every cut point, that must give exactly the state of folding all events.
 */
const files = goldenFiles();

describe('foldStored (stored state + tail)', () => {
  it.each(files)('%s: every cut point restores to the full fold', (file) => {
    const records = readGoldenLog(file);
    const reg = goldenRegistry();
    const gid = records[0]!.gid;
    const full = foldRecords(reg, gid, records)!;
    for (let cut = 1; cut <= records.length; cut += 1) {
      const head = foldRecords(reg, gid, records.slice(0, cut))!;
      const state = JSON.parse(JSON.stringify(storedStateOf(head))) as StoredState;
      expect(state.seq, `cut ${cut}`).toBe(cut);
      const live = foldStored(reg, gid, { state, records: records.slice(cut) })!;
      expect(live.seq, `cut ${cut}`).toBe(full.seq);
      expect(live.status, `cut ${cut}`).toBe(full.status);
      expect(live.snapshot.value, `cut ${cut}`).toEqual(full.snapshot.value);
      expect(live.snapshot.context, `cut ${cut}`).toEqual(full.snapshot.context);
      expect(live.parked, `cut ${cut}`).toEqual(full.parked);
      expect([...live.cmds], `cut ${cut}`).toEqual([...full.cmds]);
    }
  });

  it('refuses a state whose type is not registered, and a tail that does not follow the state', () => {
    const records = readGoldenLog(files[0]!);
    const reg = goldenRegistry();
    const gid = records[0]!.gid;
    const state = storedStateOf(foldRecords(reg, gid, records.slice(0, 1))!);
    expect(() => foldStored(reg, gid, { state: { ...state, context: { ...(state.context as object), transType: 'gone' } }, records: [] })).toThrow(UnknownTransType);
    if (records.length > 2) expect(() => foldStored(reg, gid, { state, records: records.slice(2) })).toThrow(/stored state at seq 1, next event 3/);
  });

  it('without a state folds every event, as foldRecords', () => {
    const records = readGoldenLog(files[0]!);
    const reg = goldenRegistry();
    const gid = records[0]!.gid;
    expect(foldStored(reg, gid, { records })!.snapshot.context).toEqual(foldRecords(reg, gid, records)!.snapshot.context);
  });
});
