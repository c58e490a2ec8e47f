import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { isFinal } from '../../../machines/index.js';
import { SnapshotWriter } from '../../../src/cluster/snapshot-writer.js';
import { foldRecords, type LiveTransaction } from '../../../src/engine/live-transaction.js';
import type { KafkaEventLog } from '../../../src/log/kafka/kafka-event-log.js';
import type { SnapshotRecord } from '../../../src/log/kafka/snapshot-codec.js';
import { goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * The owner's snapshot bookkeeping (src/cluster/snapshot-writer.ts) holds only open transactions:
 * issue 12 found every finished saga kept in memory until its partition's next snapshot (10,000
 * events per partition by default), which made a Kafka worker's memory grow with the sagas it ran.
 */
const NORMAL = readGoldenLog('saga-normal.jsonl');
const registry = goldenRegistry();

/** Transaction `gid` after the first `cut` events of the golden saga (all of them: finished). */
function sagaAt(gid: string, cut = NORMAL.length): LiveTransaction {
  return foldRecords(registry, gid, NORMAL.slice(0, cut).map((r) => ({ ...r, gid })))!;
}

interface Written {
  readonly p: number;
  readonly states: string[];
  readonly tombstones: string[];
}

function writerOver(every: number, fail = false): { writer: SnapshotWriter; written: Written[] } {
  const written: Written[] = [];
  const log = {
    writeSnapshot: (p: number, states: readonly SnapshotRecord[], finished: readonly string[]) => {
      written.push({ p, states: states.map((s) => s.gid), tombstones: [...finished] });
      return fail ? Promise.reject(new Error('broker gone')) : Promise.resolve();
    },
  } as unknown as KafkaEventLog;
  return { writer: new SnapshotWriter(log, every, () => 0, pino({ level: 'silent' })), written };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('SnapshotWriter memory', () => {
  it('keeps nothing of 2,000 sagas that start and finish between two snapshots', () => {
    const { writer, written } = writerOver(10_000_000);
    expect([isFinal(sagaAt('g', 1).status), isFinal(sagaAt('g').status)]).toEqual([false, true]);
    for (let i = 0; i < 2000; i += 1) {
      writer.committed(i % 16, [sagaAt(`g${i}`, 1)], 1);
      writer.committed(i % 16, [sagaAt(`g${i}`)], NORMAL.length - 1);
    }
    expect(writer.backlog()).toEqual({ dirty: 0, tombstones: 0, stored: 0 });
    expect(written).toEqual([]);
  });

  it('holds open ones until the next snapshot, then only the gids whose state it stored', async () => {
    const { writer, written } = writerOver(10);
    for (let i = 0; i < 3; i += 1) writer.committed(0, [sagaAt(`open${i}`, 1)], 1);
    expect(writer.backlog()).toEqual({ dirty: 3, tombstones: 0, stored: 0 });
    writer.committed(0, [sagaAt('short', 1)], 1);
    writer.committed(0, [sagaAt('short')], 6); // 10 events: snapshot
    expect(written).toEqual([{ p: 0, states: ['open0', 'open1', 'open2'], tombstones: [] }]);
    expect(writer.backlog()).toEqual({ dirty: 0, tombstones: 0, stored: 3 });
    await settled();
    writer.committed(0, [sagaAt('open0'), sagaAt('open1')], 10); // finish two of the stored ones
    expect(written.at(-1)).toEqual({ p: 0, states: [], tombstones: ['open0', 'open1'] });
    expect(writer.backlog()).toEqual({ dirty: 0, tombstones: 0, stored: 1 });
  });

  it('tombstones the stale snapshots a takeover found, and keeps a failed snapshot for the next one', async () => {
    const failing = writerOver(2, true);
    failing.writer.seed(3, ['kept'], ['stale']);
    failing.writer.committed(3, [sagaAt('kept', 2)], 2);
    expect(failing.written).toEqual([{ p: 3, states: ['kept'], tombstones: ['stale'] }]);
    await settled();
    expect(failing.writer.backlog()).toEqual({ dirty: 1, tombstones: 1, stored: 1 });
    failing.writer.committed(3, [sagaAt('kept')], 4);
    expect(failing.written.at(-1)).toEqual({ p: 3, states: [], tombstones: ['stale', 'kept'] });
  });
});
