import type * as grpc from '@grpc/grpc-js';
import type { Lease } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoZeroDriver } from '../../src/drivers/gozero-driver.js';
import type { WhoServer } from './driver-test-kit.js';
import { TEST_ETCD, callWho, startWhoServer, testEtcd, uniqueName, waitFor, whoAnswers, whoClient } from './driver-test-kit.js';

/**
 * dtm-driver-gozero's resolver against a real etcd, with instances written exactly as go-zero's
 * discov.Publisher writes them: key `<key>/<lease id>`, value `host:port`, under a lease.
 */
const etcd = testEtcd();
const driver = new GoZeroDriver();
const servers: WhoServer[] = [];
const clients: grpc.Client[] = [];

/** Registers `address` under `key` the way go-zero does; returns the lease. */
async function publish(key: string, address: string): Promise<Lease> {
  const lease = etcd.lease(10);
  const id = await lease.grant();
  await lease.put(`${key}/${id}`).value(address).exec();
  return lease;
}

function client(target: string): grpc.Client {
  const c = whoClient(target);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  driver.registerGrpcResolver();
  servers.push(await startWhoServer('A'), await startWhoServer('B'));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
  await driver.close();
  etcd.close();
});

describe('dtm-driver-gozero resolver (etcd)', () => {
  it('follows a service that moves to another port, live', async () => {
    const [a, b] = servers as [WhoServer, WhoServer];
    const key = uniqueName('trans.rpc');
    const leaseA = await publish(key, a.address);
    const { server, method } = driver.parseServerMethod(`etcd://${TEST_ETCD}/${key}/dtxtest.Who/Who`);
    const c = client(server);
    expect(await callWho(c, method)).toBe('A');

    // the service moves: the old instance withdraws (revoke, as go-zero does on stop), a new one registers
    await leaseA.revoke();
    const leaseB = await publish(key, b.address);
    await waitFor('calls to follow the service to B', async () => (await whoAnswers(c)) === 'B');
    for (let i = 0; i < 5; i++) expect(await callWho(c, method)).toBe('B');
    await leaseB.revoke();
  });

  it('balances over every instance under the key; discov:// is the same registry', async () => {
    const [a, b] = servers as [WhoServer, WhoServer];
    const key = uniqueName('busi.rpc');
    const leases = [await publish(key, a.address), await publish(key, b.address)];
    const c = client(`discov://${TEST_ETCD},${TEST_ETCD}/${key}`);
    const seen = new Set<string>();
    await waitFor('round robin to reach both instances', async () => {
      seen.add(await callWho(c));
      return seen.size === 2;
    });
    expect([...seen].sort()).toEqual(['A', 'B']);
    await Promise.all(leases.map((l) => l.revoke()));
  });

  it('fails calls UNAVAILABLE naming the key when nothing is registered, and recovers when an instance appears', async () => {
    const key = uniqueName('empty.rpc');
    const c = client(`etcd://${TEST_ETCD}/${key}`);
    const first = await whoAnswers(c);
    expect(first).toMatch(/UNAVAILABLE/);
    expect(first).toContain(`no endpoint found for etcd key ${key}`);
    const lease = await publish(key, (servers[0] as WhoServer).address);
    await waitFor('the new instance to be used', async () => (await whoAnswers(c)) === 'A');
    await lease.revoke();
  });

  it("resolves go-zero's direct:/// lists without etcd", async () => {
    const c = client(`direct:///${(servers[1] as WhoServer).address}`);
    expect(await callWho(c)).toBe('B');
  });
});
