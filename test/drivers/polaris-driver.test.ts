import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverTargetError } from '../../src/drivers/driver.js';
import { deregisterInstance, discoverInstances, registerInstance } from '../../src/drivers/polaris-api.js';
import { PolarisDriver } from '../../src/drivers/polaris-driver.js';
import { TEST_POLARIS_PORT } from '../support/polaris-global-setup.js';
import type { WhoServer } from './driver-test-kit.js';
import { callWho, startWhoServer, uniqueName, waitFor, whoAnswers, whoClient } from './driver-test-kit.js';

/**
 * dtm-driver-polaris against a real Polaris server (polarismesh/polaris 1.18.1 standalone, built
 * by scripts/polaris-local.sh). Polaris serves discovery from a cache that follows its store with a
 * delay of a few seconds, hence the generous waits.
 */
const POLARIS = process.env.DTX_TEST_POLARIS !== undefined && process.env.DTX_TEST_POLARIS !== '' ? process.env.DTX_TEST_POLARIS : `127.0.0.1:${TEST_POLARIS_PORT}`;
const NAMESPACE = 'Test';
const servers: WhoServer[] = [];
const clients: grpc.Client[] = [];
const driver = new PolarisDriver({ server: POLARIS });

async function addresses(service: string, onlyHealthy = true): Promise<string[]> {
  const all = await discoverInstances(POLARIS, NAMESPACE, service);
  return all.filter((i) => !onlyHealthy || i.healthy).map((i) => `${i.host}:${i.port}`).sort();
}

beforeAll(async () => {
  servers.push(await startWhoServer('A'), await startWhoServer('B'));
  driver.registerGrpcResolver();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
  await driver.close();
});

describe('dtm-driver-polaris', () => {
  it("registers dtx with heartbeats from dtm's target form and deregisters it on close", { timeout: 90_000 }, async () => {
    const service = uniqueName('dtmservice');
    await driver.registerGrpcService(`polaris://127.0.0.1:36790/${service}?namespace=${NAMESPACE}&server=${POLARIS}`, '');
    await waitFor('dtx to be discoverable', async () => (await addresses(service)).join() === '127.0.0.1:36790', 40_000);
    await driver.close();
    await waitFor('dtx to be deregistered', async () => (await addresses(service, false)).length === 0, 40_000);
  });

  it('resolves polaris:// branch URLs to the healthy instances and follows a move', { timeout: 120_000 }, async () => {
    const [a, b] = servers as [WhoServer, WhoServer];
    const service = uniqueName('trans');
    const key = (s: WhoServer) => ({ namespace: NAMESPACE, service, host: '127.0.0.1', port: Number(s.address.split(':')[1]), token: '' });
    await registerInstance(POLARIS, key(a), 60);
    const { server, method } = driver.parseServerMethod(`polaris://${service}/dtxtest.Who/Who?namespace=${NAMESPACE}`);
    expect(method).toBe('/dtxtest.Who/Who');
    const c = whoClient(server);
    clients.push(c);
    await waitFor('the instance to be resolved', async () => (await whoAnswers(c)) === 'A', 40_000);
    expect(await callWho(c, method)).toBe('A');

    await deregisterInstance(POLARIS, key(a));
    await registerInstance(POLARIS, key(b), 60);
    await waitFor('calls to follow the service to B', async () => (await whoAnswers(c)) === 'B', 60_000);
    await deregisterInstance(POLARIS, key(b));
  });

  it("refuses targets dtm refuses, naming the target; a missing token is allowed (dtm's EndPoint)", async () => {
    const d = new PolarisDriver({ server: POLARIS });
    await expect(d.registerGrpcService('polaris://127.0.0.1:36790/dtmservice', '')).rejects.toThrow(DriverTargetError);
    await expect(d.registerGrpcService('polaris://127.0.0.1:36790/dtmservice', '')).rejects.toThrow('namespace not found');
    await expect(d.registerGrpcService('polaris://127.0.0.1:36790/?namespace=Test', '')).rejects.toThrow('service not found');
    await expect(d.registerGrpcService('polaris://127.0.0.1/dtmservice?namespace=Test', '')).rejects.toThrow('no port');
    await expect(d.registerGrpcService('etcd://127.0.0.1:2379/dtmservice', '')).rejects.toThrow('not a polaris:// target');
    await d.close();
  });
});
