import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Lease } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KratosDriver } from '../../src/drivers/kratos-driver.js';
import type { WhoServer } from './driver-test-kit.js';
import { TEST_ETCD, callWho, startWhoServer, testEtcd, uniqueName, waitFor, whoAnswers, whoClient } from './driver-test-kit.js';

/**
 * dtm-driver-kratos against a real etcd in kratos' registry layout (contrib/registry/etcd):
 * `/microservices/<name>/<id>` = JSON ServiceInstance, under a lease.
 */
const etcd = testEtcd();
const servers: WhoServer[] = [];
const clients: grpc.Client[] = [];

/** Registers an instance as kratos' etcd registrar does. */
async function registerKratos(name: string, endpoints: string[]): Promise<Lease> {
  const lease = etcd.lease(15);
  const id = randomUUID();
  await lease.put(`/microservices/${name}/${id}`).value(JSON.stringify({ id, name, version: 'v1', metadata: { zone: 'a' }, endpoints })).exec();
  return lease;
}

function client(target: string): grpc.Client {
  const c = whoClient(target);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  servers.push(await startWhoServer('A'), await startWhoServer('B'));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
  etcd.close();
});

describe('dtm-driver-kratos', () => {
  it('without a registry (empty MicroService.Target) discovery:/// fails naming MicroService.Target', async () => {
    const lonely = new KratosDriver();
    lonely.registerGrpcResolver();
    const answer = await whoAnswers(client('discovery:///anything'));
    expect(answer).toMatch(/UNAVAILABLE/);
    expect(answer).toContain('MicroService.Target');
    await lonely.close();
  });

  it("registers dtx in kratos' layout, resolves instances' grpc:// endpoints live, withdraws on close", async () => {
    const [a, b] = servers as [WhoServer, WhoServer];
    const driver = new KratosDriver();
    driver.registerGrpcResolver();
    const dtxName = uniqueName('dtmservice');
    await driver.registerGrpcService(`discovery://${TEST_ETCD}/${dtxName}`, '127.0.0.1:36790');

    const mine = await etcd.getAll().prefix(`/microservices/${dtxName}/`).exec();
    expect(mine.kvs).toHaveLength(1);
    const kv = mine.kvs[0]!;
    const instance = JSON.parse(kv.value.toString()) as { id: string; name: string; endpoints: string[] };
    expect(kv.key.toString()).toBe(`/microservices/${dtxName}/${instance.id}`);
    expect(instance).toMatchObject({ name: dtxName, version: '', metadata: null, endpoints: ['grpc://127.0.0.1:36790'] });
    expect(String(kv.lease)).not.toBe('0');

    const trans = uniqueName('trans');
    const leaseA = await registerKratos(trans, [`http://127.0.0.1:1`, `grpc://${a.address}?isSecure=false`]);
    // an instance of a service whose name merely starts with ours is not ours
    const lookalike = await registerKratos(`${trans}-x`, [`grpc://${b.address}`]);
    const { server, method } = driver.parseServerMethod(`discovery:///${trans}/dtxtest.Who/Who`);
    expect(server).toBe(`discovery:///${trans}`);
    const c = client(server);
    for (let i = 0; i < 4; i++) expect(await callWho(c, method)).toBe('A');

    await leaseA.revoke();
    const leaseB = await registerKratos(trans, [`grpc://${b.address}`]);
    await waitFor('calls to follow the instance to B', async () => (await whoAnswers(c)) === 'B');

    await driver.close();
    expect((await etcd.getAll().prefix(`/microservices/${dtxName}/`).exec()).kvs).toEqual([]);
    await Promise.all([leaseB.revoke(), lookalike.revoke()]);
  });

  it('refuses consul and unknown target schemes naming the target', async () => {
    const driver = new KratosDriver();
    await expect(driver.registerGrpcService('consul://127.0.0.1:8500/dtmservice', 'x:1')).rejects.toThrow(/consul registry has no client in dtx/);
    await expect(driver.registerGrpcService('zk://h:1/dtmservice', 'x:1')).rejects.toThrow("unknown scheme: zk in 'zk://h:1/dtmservice'");
    await driver.close();
  });
});
