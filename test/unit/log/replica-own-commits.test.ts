import fs from 'node:fs';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { EventReplica } from '../../../src/log/kafka/event-replica.js';
import { SqliteReplicaLog } from '../../../src/log/sqlite/sqlite-replica-log.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `EventReplica.copyOwn` on a real SQLite replica, its consumer not started (no broker): a
 * worker's commit is copied at once only when the replica holds everything committed to the
 * partition before it and nothing after; otherwise it is left to the consumer and nothing moves.
 * The Kafka suites run the same path against a broker (test/kafka, the EventLog contract).
 */
const dirs: string[] = [];
const replicas: EventReplica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const settings = { brokers: ['127.0.0.1:1'], prefix: 'own', partitions: 2, sessionTimeoutMs: 6000, clientId: 'w1' };

function openReplica(): { replica: EventReplica; dir: string } {
  const dir = tempDir('dtx-replica-own-');
  dirs.push(dir);
  const log = SqliteReplicaLog.open({ dir, fileName: 'replica.db', syncCommit: false, writer: 'inline' });
  // the consumer is never started: only copyOwn moves the position
  const replica = new EventReplica(log, {} as Kafka, settings, pino({ level: 'silent' }));
  replicas.push(replica);
  return { replica, dir };
}

function commit(gid: string, seqs: number[]): [LogRecord[], TransSummary[]] {
  const records = seqs.map((seq): LogRecord => ({ v: 1, gid, seq, type: seq === 1 ? 'TransCreated' : 'TransSubmitted', at: seq, data: { n: seq }, cmd: `${gid}-${seq}` }));
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: seqs.at(-1)!, nextCronTime: undefined, finished: false, view: `{"seq":${seqs.at(-1)!}}` };
  return [records, [summary]];
}

const seqsOf = async (r: EventReplica, gid: string): Promise<number[]> => (await r.log.read(gid)).map((x) => x.seq);

describe('EventReplica.copyOwn: a worker copies its own commits', () => {
  it('copies commits in order once the partition was claimed, with the position after each', async () => {
    const { replica } = openReplica();
    replica.ownFrom(0, 0);
    expect(replica.copyOwn(0, 0, 2, ...commit('a', [1, 2]))).toBe(true);
    expect(replica.position(0)).toBe(2);
    // offset 2 is the first commit's marker: the next commit starts after it
    replica.copyOwn(0, 3, 4, ...commit('a', [3]));
    expect(replica.position(0)).toBe(4);
    expect(await seqsOf(replica, 'a')).toEqual([1, 2, 3]);
    expect((await replica.log.getSummary('a'))?.view).toBe('{"seq":3}');
    expect(replica.position(1)).toBe(0);
  });

  it('copies nothing for a partition it did not claim, or gave up', async () => {
    const { replica } = openReplica();
    replica.copyOwn(1, 0, 1, ...commit('b', [1]));
    expect(replica.position(1)).toBe(0);
    replica.ownFrom(1, 0);
    replica.forgetOwn(1);
    replica.copyOwn(1, 0, 1, ...commit('b', [1]));
    expect(replica.position(1)).toBe(0);
    expect(await seqsOf(replica, 'b')).toEqual([]);
  });

  it('leaves a commit to the consumer while records before it are not copied, and the next ones too', async () => {
    const { replica } = openReplica();
    replica.ownFrom(0, 0);
    replica.copyOwn(0, 0, 1, ...commit('c', [1]));
    // claimed again after another worker wrote up to offset 10: the consumer has not copied that yet
    replica.forgetOwn(0);
    replica.ownFrom(0, 10);
    expect(replica.copyOwn(0, 10, 12, ...commit('c', [2, 3]))).toBe(false);
    replica.copyOwn(0, 13, 14, ...commit('c', [4]));
    expect(replica.position(0)).toBe(1);
    expect(await seqsOf(replica, 'c')).toEqual([1]);
  });

  it('does not copy a commit the replica has copied part of already', async () => {
    const { replica } = openReplica();
    replica.ownFrom(0, 0);
    replica.copyOwn(0, 0, 3, ...commit('d', [1, 2, 3]));
    // a commit that claims to start below the position overlaps what the replica holds
    replica.copyOwn(0, 2, 5, ...commit('e', [1, 2, 3]));
    expect(replica.position(0)).toBe(3);
    expect(await seqsOf(replica, 'e')).toEqual([]);
  });

  it('is not misled by a late commit of an earlier ownership of the partition', async () => {
    const { replica } = openReplica();
    replica.ownFrom(0, 0);
    replica.copyOwn(0, 0, 5, ...commit('g', [1, 2]));
    // claimed again at end 5; its first commit (6-7) cannot be stored and is left to the consumer
    replica.forgetOwn(0);
    replica.ownFrom(0, 5);
    replica.copyOwn(0, 6, 7, ...commit('g', [1]));
    // a commit of the earlier ownership answers late; then the next commit must still wait
    replica.copyOwn(0, 2, 4, ...commit('old', [1]));
    replica.copyOwn(0, 8, 9, ...commit('h', [1]));
    expect(replica.position(0)).toBe(5);
    expect(await seqsOf(replica, 'h')).toEqual([]);
  });

  it('survives a commit the replica cannot store: nothing moves, later ones wait for the consumer', async () => {
    const { replica } = openReplica();
    replica.ownFrom(0, 0);
    replica.copyOwn(0, 0, 1, ...commit('f', [1]));
    // the same (gid, seq) again: SQLite refuses it, the copy is dropped and the position stays
    expect(() => replica.copyOwn(0, 2, 3, ...commit('f', [1]))).not.toThrow();
    expect(replica.position(0)).toBe(1);
    replica.copyOwn(0, 4, 5, ...commit('f', [2]));
    expect(replica.position(0)).toBe(1);
    expect(await seqsOf(replica, 'f')).toEqual([1]);
  });
});
