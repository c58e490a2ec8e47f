import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';
import { freshPrefix, ownedBy, startWorker, stopWorkers, waitOwnership } from '../support/kafka-workers.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';

/**
 * wait_result through another worker whose partition owner dies mid-transaction: the submit was
 * durable, the new owner finishes the saga, and the waiting client still gets the outcome (the
 * ingress asks the partition's current owner again) instead of a timeout.
 */
const PARTITIONS = 4;
const prefix = freshPrefix('wait');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/w/a1', { ...SUCCESS, delayMs: 1500 });
  a = await startWorker({ prefix, partitions: PARTITIONS });
  await waitOwnership([a], PARTITIONS);
  // B leaves Store.Partitions automatic (0): it adopts the topics' count that A created them with
  b = await startWorker({ prefix, partitions: 0 });
  await waitFor(() => ownedBy(b), (o) => o.length > 0, 30_000, 'B to own a partition');
  await waitOwnership([a, b], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

describe('wait_result across a dying owner', () => {
  it('answers the waiting client with the outcome the new owner reached', async () => {
    const ofB = await ownedBy(b);
    let gid = gidOf('wait');
    while (!ofB.includes(partitionOf(gid, PARTITIONS))) gid = gidOf('wait');
    const steps = [{ action: bs.url('/w/a1'), compensate: bs.url('/w/c1') }];
    const pending = post(a.api, 'submit', saga(gid, steps, { wait_result: true }));
    await waitFor(() => Promise.resolve(bs.callsTo('/w/a1', gid).length), (n) => n === 1, 20_000, 'the branch call from B');
    await b.kill('SIGKILL');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.dtm_result).toBe('SUCCESS');
    expect(bs.callsTo('/w/a1', gid).length).toBeGreaterThanOrEqual(2); // re-driven by A after the takeover
  });
});
