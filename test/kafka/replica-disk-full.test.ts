import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { get, gidOf, post, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, ownedBy, replicaStoreOf, startWorker, tearDown, waitOwnership } from '../support/kafka-workers.js';
import { fillUp, TmpfsMount } from '../support/tmpfs-mount.js';

/**
 * A Kafka worker whose data dir (its replica of the events topic) sits on a disk that fills up: a
 * real tmpfs of 16 MiB, grown later as an operator freeing space would. Kafka is the log, so
 * submits go on being acknowledged and sagas finish; what needs the replica (listings) answers the
 * retryable 503 naming the cause at once instead of waiting for a copy that cannot come; the
 * consumer holds its batch and tries again, without crashing and without a line per attempt. A
 * worker killed then and restarted on the full disk waits with its takeovers until there is room;
 * then its replica catches up by itself and nothing acknowledged is lost. A worker restarted on a
 * full disk with its replica caught up takes its partitions over and serves.
 */
const PARTITIONS = 2;
const prefix = freshPrefix('replica-full');
const disk = new TmpfsMount();
const dataDir = path.join(disk.dir, 'data');
const PAYLOAD = JSON.stringify({ pad: 'p'.repeat(64 * 1024) });
let bs: BranchServer;
let w: DtxProcess | undefined;

beforeAll(async () => {
  disk.mount('16m');
  mkdirSync(dataDir);
  bs = await BranchServer.start();
  w = await startWorker({ prefix, partitions: PARTITIONS, dataDir });
  await waitOwnership([w], PARTITIONS);
});

afterAll(() => tearDown([w], bs, () => disk.unmount()));

const bigSaga = (gid: string) => ({ ...saga(gid, [{ action: bs.url('/rf/a'), compensate: bs.url('/rf/c') }, { action: bs.url('/rf/b'), compensate: bs.url('/rf/d') }]), payloads: [PAYLOAD, PAYLOAD] });
const lines = (text: string) => w!.logs.filter((l) => l.includes(text));
const REPLICA_CANNOT_STORE = /replica of the events topic .* cannot store what it reads: .*SQLITE_FULL/;

describe('a full disk under a Kafka worker\'s replica', () => {
  it('keeps acknowledging and finishing sagas, answers listings 503 at once, and catches up once there is room', async () => {
    const api = w!.api;
    const acked: string[] = [];
    let listing = await get(api, 'all?limit=5');
    for (let i = 0; i < 2000 && listing.status === 200; i++) {
      const gid = gidOf('rf');
      const r = await post(api, 'submit', bigSaga(gid));
      expect(r.status).toBe(200); // Kafka holds it: the replica's disk does not decide
      acked.push(gid);
      listing = await get(api, 'all?limit=5');
    }
    expect(listing.status).toBe(503);
    expect(listing.body.code).toBe('DTX_LOG_UNAVAILABLE');
    expect(String(listing.body.message)).toMatch(REPLICA_CANNOT_STORE);

    // the worker goes on: new sagas are acknowledged and their branches called, one after the other
    const during: string[] = [];
    for (let i = 0; i < 20; i++) {
      const gid = gidOf('rf-during');
      expect((await post(api, 'submit', bigSaga(gid))).status).toBe(200);
      during.push(gid);
    }
    for (const gid of during) await waitFor(() => Promise.resolve(bs.callsTo('/rf/b', gid).length), (n) => n >= 1, 60_000, `the second branch of ${gid}`);
    const again = await get(api, 'all?limit=5');
    expect([again.status, String(again.body.message)]).toEqual([503, expect.stringMatching(REPLICA_CANNOT_STORE)]);
    // the consumer held its batch: no crash, no kafkajs line per attempt, one line per 10 s window
    expect(lines('replica consumer crashed')).toEqual([]);
    expect(lines('Error when calling eachBatch')).toEqual([]);
    const failures = lines('failed; the consumer');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(12);
    // and the metrics say so: failing now, with every refused attempt counted
    const health = await replicaStoreOf(w!);
    expect(health.failing).toBe(1);
    expect(health.failures).toBeGreaterThanOrEqual(failures.length);

    // killed while its replica is behind, and started again on the still full disk: it cannot take its
    // partitions over (its replica must first hold what was committed to them), and says so without a
    // line per partition and attempt (takeovers are retried every 0.25-5 s)
    await w!.kill('SIGKILL');
    w = await startWorker({ prefix, partitions: PARTITIONS, dataDir });
    const gated = /partition takeover failed; retrying \((\d+) more like it/;
    await waitFor(() => Promise.resolve(lines('partition takeover failed').filter((l) => Number(gated.exec(l)?.[1] ?? 0) >= 2).length), (n) => n >= 1, 60_000, 'a gated line of the takeover failures, holding back at least 2');
    expect(await ownedBy(w)).toEqual([]);
    expect(lines('partition takeover failed').filter((l) => l.includes('"level":50')).length).toBeLessThanOrEqual(3);
    expect(lines('partition takeover failed').at(-1)).toMatch(REPLICA_CANNOT_STORE);

    // room again: the replica catches up by itself, the partitions are taken over, and every saga
    // acknowledged before is there, finished
    disk.grow('512m');
    await waitOwnership([w], PARTITIONS, 120_000);
    await waitFor(() => get(w!.api, 'all?limit=5'), (r) => r.status === 200, 120_000, 'listings once the disk has room');
    for (const gid of [...acked, ...during]) await waitStatus(w.api, gid, 'succeed', 60_000);
    expect(lines('the replica stores again').length).toBeGreaterThanOrEqual(1);
    const after = await replicaStoreOf(w);
    expect(after.failing).toBe(0);
    expect(after.failures).toBeGreaterThanOrEqual(1); // the restarted worker's own refusals, still counted

    // a worker killed and started again on a disk with no room left takes its partitions over and serves
    await w!.kill('SIGKILL');
    w = undefined;
    fillUp(path.join(disk.dir, 'filler'));
    w = await startWorker({ prefix, partitions: PARTITIONS, dataDir });
    await waitOwnership([w], PARTITIONS);
    const onFull = gidOf('rf-full-start');
    expect((await post(w.api, 'submit', bigSaga(onFull))).status).toBe(200);
    await waitFor(() => Promise.resolve(bs.callsTo('/rf/b', onFull).length), (n) => n >= 1, 60_000, 'the second branch of the saga submitted on the full disk');
    rmSync(path.join(disk.dir, 'filler'));
    await waitFor(() => get(w!.api, 'all?limit=5'), (r) => r.status === 200, 120_000, 'listings once the filler is gone');
    for (const gid of [acked[0]!, during[0]!, onFull]) await waitStatus(w.api, gid, 'succeed', 60_000);
  });
});
