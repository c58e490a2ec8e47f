import { afterAll, describe, expect, it } from 'vitest';
import { DriverEndpointError, DriverTargetError } from '../../src/drivers/driver.js';
import { GoZeroDriver } from '../../src/drivers/gozero-driver.js';
import { TEST_ETCD, testEtcd, uniqueName, waitFor } from './driver-test-kit.js';

/** dtm-driver-gozero registering dtx the way go-zero services register (discov.Publisher). */
const etcd = testEtcd();
afterAll(() => etcd.close());

async function entries(prefix: string): Promise<{ key: string; value: string; lease: string }[]> {
  const res = await etcd.getAll().prefix(prefix).exec();
  return res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), lease: String(kv.lease) }));
}

async function ttlOf(lease: string): Promise<number> {
  const res = await etcd.leaseClient.leaseTimeToLive({ ID: lease });
  return Number(res.TTL);
}

describe('dtm-driver-gozero registration', () => {
  it('puts <key>/<lease id> = endpoint under a kept-alive 10 s lease and revokes it on close', async () => {
    const key = uniqueName('dtmservice');
    const driver = new GoZeroDriver();
    await driver.registerGrpcService(`etcd://${TEST_ETCD}/${key}`, '127.0.0.1:36790');

    const [entry, ...more] = await entries(`${key}/`);
    expect(more).toEqual([]);
    expect(entry?.value).toBe('127.0.0.1:36790');
    expect(entry?.lease).not.toBe('0');
    expect(entry?.key).toBe(`${key}/${entry?.lease}`); // go-zero's makeEtcdKey(key, leaseID)
    const ttl = await ttlOf(entry?.lease ?? '0');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10);

    // kept alive: the remaining TTL goes back up instead of running out
    let lowest = ttl;
    await waitFor('a keep-alive to renew the lease', async () => {
      const now = await ttlOf(entry?.lease ?? '0');
      if (now > lowest) return true;
      lowest = Math.min(lowest, now);
      return false;
    }, 12_000);

    await driver.close();
    expect(await entries(`${key}/`)).toEqual([]); // revoked at once, not left to expire
    expect(await ttlOf(entry?.lease ?? '0')).toBe(-1);
  });

  it('registers again under a new lease when the lease is lost', async () => {
    const key = uniqueName('dtmservice');
    const driver = new GoZeroDriver();
    await driver.registerGrpcService(`discov://${TEST_ETCD}/${key}`, '127.0.0.1:36791');
    const [first] = await entries(`${key}/`);
    await etcd.leaseClient.leaseRevoke({ ID: first?.lease ?? '0' }); // as if etcd expired it
    await waitFor('a new registration', async () => {
      const now = await entries(`${key}/`);
      return now.length === 1 && now[0]?.lease !== first?.lease && now[0]?.value === '127.0.0.1:36791';
    });
    await driver.close();
    expect(await entries(`${key}/`)).toEqual([]);
  });

  it('an empty target registers nothing; unusable targets are DriverTargetErrors naming the target', async () => {
    const driver = new GoZeroDriver();
    await driver.registerGrpcService('', '127.0.0.1:36790');
    await expect(driver.registerGrpcService('consul://127.0.0.1:8500/dtmservice', 'x:1')).rejects.toThrow(DriverTargetError);
    await expect(driver.registerGrpcService('consul://127.0.0.1:8500/dtmservice', 'x:1')).rejects.toThrow(/consul:\/\/127\.0\.0\.1:8500\/dtmservice.*consul registry/);
    await expect(driver.registerGrpcService(`etcd://${TEST_ETCD}/`, 'x:1')).rejects.toThrow(/no key in/);
    await expect(driver.registerGrpcService('etcd:///dtmservice', 'x:1')).rejects.toThrow(/no etcd host/);
    await expect(driver.registerGrpcService('redis://h:1/x', 'x:1')).rejects.toThrow(/unknown scheme: redis/);
    await expect(driver.registerGrpcService(`etcd://${TEST_ETCD}/dtmservice`, '')).rejects.toThrow(DriverEndpointError);
    await driver.close();
  });

  it('an unreachable etcd fails registration with a DriverError naming the endpoint and key', async () => {
    const driver = new GoZeroDriver();
    const err = await driver.registerGrpcService('etcd://127.0.0.1:1/dtmservice', '127.0.0.1:36790').then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/cannot register 127\.0\.0\.1:36790 under dtmservice at etcd 127\.0\.0\.1:1/);
    await driver.close();
  }, 30_000);
});
