import * as grpc from '@grpc/grpc-js';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { post, saga, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, gidInPartitions, routesOf, startWorker, stopWorkers, waitOwnership, waitSpread } from '../support/kafka-workers.js';
import { makeTestCerts } from '../support/test-certs.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * `InternalTls` on real workers: two workers on mutual TLS send each other direct commands and
 * replies (docs/kafka.md "Direct commands"), and their internal ports refuse a plaintext caller.
 */
const PARTITIONS = 2;
const prefix = freshPrefix('internal-tls');
let dir: string;
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;

beforeAll(async () => {
  const certs = makeTestCerts();
  dir = tempDir('dtx-internal-tls-');
  const file = (name: string, content: Buffer) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const env = { INTERNAL_TLS_CERT_FILE: file('peer.crt', certs.peerCert), INTERNAL_TLS_KEY_FILE: file('peer.key', certs.peerKey), INTERNAL_TLS_CA_FILE: file('ca.crt', certs.ca) };
  bs = await BranchServer.start();
  a = await startWorker({ prefix, partitions: PARTITIONS, env });
  await waitOwnership([a], PARTITIONS);
  b = await startWorker({ prefix, partitions: PARTITIONS, env });
  await waitSpread([a, b], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The status of one call to `address`'s internal service over plaintext. */
function plaintextCall(address: string): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest('/dtx.internal.Replies/Deliver', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err === null ? grpc.status.OK : err.code);
    });
  });
}

describe('InternalTls between real workers', () => {
  it('direct commands and their replies travel over mutual TLS', async () => {
    const [, ofB] = await waitSpread([a, b], PARTITIONS);
    const steps = () => [{ action: bs.url('/itls/a'), compensate: bs.url('/itls/c') }];
    // the first reply through the topic names B, over TLS to A's internal port; then A sends direct
    const first = gidInPartitions(ofB!, 'itls-learn', PARTITIONS);
    expect((await post(a.api, 'submit', saga(first, steps()))).status).toBe(200);
    const before = await routesOf(a);
    const gids = Array.from({ length: 10 }, () => gidInPartitions(ofB!, 'itls', PARTITIONS));
    for (const gid of gids) expect((await post(a.api, 'submit', saga(gid, steps()))).status).toBe(200);
    expect((await routesOf(a)).direct - before.direct).toBe(gids.length);
    for (const gid of [first, ...gids]) await waitStatus(a.api, gid, 'succeed', 30_000);
  });

  it('an internal port refuses a plaintext caller', async () => {
    for (const w of [a, b]) {
      const address = (JSON.parse(w.logs.find((l) => l.includes('"dtx listening"'))!) as { internal: string }).internal;
      expect(await plaintextCall(address)).toBe(grpc.status.UNAVAILABLE);
    }
  });
});
