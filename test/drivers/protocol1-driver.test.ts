import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverTargetError } from '../../src/drivers/driver.js';
import { Protocol1Driver } from '../../src/drivers/protocol1-driver.js';
import type { WhoServer } from './driver-test-kit.js';
import { callWho, startWhoServer, whoAnswers, whoClient } from './driver-test-kit.js';

/** The template driver works end to end with grpc-js: its scheme resolves, its table registers. */
const servers: WhoServer[] = [];
const clients: grpc.Client[] = [];
const driver = new Protocol1Driver({ busi: [] });

function client(target: string): grpc.Client {
  const c = whoClient(target);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  servers.push(await startWhoServer('A'), await startWhoServer('B'));
  driver.registerGrpcResolver();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

describe('dtm-driver-protocol1', () => {
  it('dials protocol1://x/host:port as the address itself (dtm sample)', async () => {
    const { server, method } = driver.parseServerMethod(`protocol1://x/${servers[0]!.address}/dtxtest.Who/Who`);
    expect(await callWho(client(server), method)).toBe('A');
  });

  it('resolves names registered with registerGrpcService, until close', async () => {
    await driver.registerGrpcService('protocol1:///dtmservice', servers[1]!.address);
    expect(await callWho(client('protocol1:///dtmservice'))).toBe('B');
    await driver.close();
    const after = await whoAnswers(client('protocol1:///dtmservice'));
    expect(after).toMatch(/UNAVAILABLE/);
    expect(after).toContain("no service 'dtmservice' registered");
    await expect(driver.registerGrpcService('etcd://h:1/dtmservice', 'x:1')).rejects.toThrow(DriverTargetError);
  });
});
