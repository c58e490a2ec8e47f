import { rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, startWorker, tearDown, waitOwnership } from '../support/kafka-workers.js';
import { OwnKafkaBroker } from '../support/own-kafka-broker.js';
import { fillUp, TmpfsMount } from '../support/tmpfs-mount.js';

/**
 * The one broker of a deployment on a disk that fills up: its log.dirs on a real tmpfs, filled
 * while a worker serves. Kafka fails the write ("No space left on device") and the broker shuts
 * itself down (its only log dir has failed). The worker stays up and answers every submit, the
 * ones the broker did not store with a retryable 503 (never a 200, never another error); once there is room and the
 * broker is started again, it takes its partitions over by itself and every saga it acknowledged
 * finishes. The shared test broker serves the other Kafka tests, so this one runs its own
 * (TEST_KAFKA_PORT+300), its logs and pid file off the small disk.
 */
const disk = new TmpfsMount();
const broker = new OwnKafkaBroker(300, { KAFKA_DATA_DIR: path.join(disk.dir, 'data') });
const FILLER = path.join(disk.dir, 'filler');

const PARTITIONS = 2;
const prefix = freshPrefix('broker-full');
// about 1 MiB of Kafka records a saga (the commands, the events and the snapshots each hold the payloads)
const PAYLOAD = JSON.stringify({ pad: 'p'.repeat(64 * 1024) });
let bs: BranchServer;
let w: DtxProcess | undefined;

beforeAll(async () => {
  await broker.reset();
  disk.mount('256m');
  await broker.start();
  bs = await BranchServer.start();
  // a local command's Kafka write waits for the brokers without a bound: the client gets 503 after this
  w = await startWorker({ prefix, partitions: PARTITIONS, env: { STORE_KAFKA_BROKERS: broker.brokers, STORE_KAFKA_REPLY_TIMEOUT: '3' } });
  await waitOwnership([w], PARTITIONS);
});

afterAll(() => tearDown([w], bs, () => broker.reset(), () => disk.unmount()));

const bigSaga = (gid: string) => ({ ...saga(gid, [{ action: bs.url('/bf/a'), compensate: bs.url('/bf/c') }, { action: bs.url('/bf/b'), compensate: bs.url('/bf/d') }]), payloads: [PAYLOAD, PAYLOAD] });

describe('a full disk under the broker', () => {
  it('keeps the worker up, acknowledges nothing the broker did not store, and finishes every acknowledged saga once there is room', async () => {
    const api = w!.api;
    const acked: string[] = [];
    for (let i = 0; i < 3; i++) {
      const gid = gidOf('bf-before');
      expect((await post(api, 'submit', bigSaga(gid))).status).toBe(200);
      acked.push(gid);
    }

    // no room left but a few MiB: the next sagas' records fill them
    fillUp(FILLER);
    truncateSync(FILLER, statSync(FILLER).size - 6 * 1024 * 1024);
    const refused: unknown[] = [];
    for (let i = 0; i < 100 && refused.length < 3; i++) {
      const gid = gidOf('bf-during');
      const r = await post(api, 'submit', bigSaga(gid));
      expect([200, 503]).toContain(r.status);
      if (r.status === 200) {
        acked.push(gid);
        refused.length = 0;
      } else refused.push(r.body.code);
    }
    // the write failed, or the worker's ownership lapsed with the broker: retryable either way
    expect(refused).toHaveLength(3);
    for (const code of refused) expect(['DTX_LOG_UNAVAILABLE', 'DTX_NO_OWNER']).toContain(code);
    // the broker failed on the disk, not on something else, and went down; the worker did not
    await waitFor(async () => broker.serverLog(), (log) => log.includes('No space left on device'), 60_000, "the broker's disk error");
    await waitFor(() => broker.answers(), (answers) => !answers, 120_000, 'the broker down');
    expect(w!.proc.exitCode).toBeNull();

    // room again, as an operator freeing space would, and the broker started on the same data
    rmSync(FILLER);
    await broker.stop();
    await broker.start();
    await waitOwnership([w!], PARTITIONS, 180_000);
    const after = gidOf('bf-after');
    await waitFor(() => post(api, 'submit', bigSaga(after)), (r) => r.status === 200, 120_000, 'a submit accepted once the broker is back');
    acked.push(after);
    for (const gid of acked) await waitStatus(api, gid, 'succeed', 120_000);
    expect(w!.proc.exitCode).toBeNull();
  });
});
