import { describe, expect, it } from 'vitest';
import { DefaultDriver } from '../../../src/drivers/default-driver.js';
import type { Driver } from '../../../src/drivers/driver.js';
import { DriverError } from '../../../src/drivers/driver.js';
import { GoZeroDriver } from '../../../src/drivers/gozero-driver.js';
import { KratosDriver } from '../../../src/drivers/kratos-driver.js';
import { PolarisDriver } from '../../../src/drivers/polaris-driver.js';
import { Protocol1Driver } from '../../../src/drivers/protocol1-driver.js';

/** parseServerMethod of every built-in, on the URL shapes each framework's users write (spec §6.4, §11). */

type Row = readonly [url: string, server: string, method: string];

function expectSplits(driver: Driver, rows: readonly Row[]): void {
  for (const [url, server, method] of rows) {
    expect(driver.parseServerMethod(url), url).toEqual({ server, method });
  }
}

function errorOf(driver: Driver, url: string): string {
  try {
    driver.parseServerMethod(url);
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    return (err as Error).message;
  }
  throw new Error(`${driver.name} accepted '${url}'`);
}

/** dtm's plain form: every driver falls back to the default split for URLs without `//`. */
const PLAIN: readonly Row[] = [
  ['localhost:58081/busi.Busi/TransIn', 'localhost:58081', '/busi.Busi/TransIn'],
  ['127.0.0.1:50051/pkg.v1.Svc/Do', '127.0.0.1:50051', '/pkg.v1.Svc/Do'],
  ['[::1]:50051/pkg.Svc/Do', '[::1]:50051', '/pkg.Svc/Do'],
];

describe('default driver', () => {
  const d = new DefaultDriver();

  it('splits at the first slash', () => {
    expectSplits(d, PLAIN);
    expectSplits(d, [['host:1/a/b/c', 'host:1', '/a/b/c']]);
  });

  it("accepts grpc-js' dns:/// form", () => {
    expectSplits(d, [
      ['dns:///localhost:58081/busi.Busi/TransIn', 'dns:///localhost:58081', '/busi.Busi/TransIn'],
      ['dns:///busi.internal:443/pkg.Svc/M', 'dns:///busi.internal:443', '/pkg.Svc/M'],
    ]);
    expect(errorOf(d, 'dns:///localhost:58081')).toContain("bad url: 'dns:///localhost:58081'");
  });

  it("keeps dtm's error texts", () => {
    expect(errorOf(d, 'localhost:58081')).toBe("bad url: 'localhost:58081'. no '/' found");
    expect(errorOf(d, 'etcd://localhost:2379/busi/busi.Busi/TransIn')).toBe("call dtmdriver.Use() before you use custom scheme for 'etcd://localhost:2379/busi/busi.Busi/TransIn'");
    expect(errorOf(d, 'discovery:///trans/busi.Busi/TransIn')).toContain('call dtmdriver.Use() before you use custom scheme');
  });
});

describe('dtm-driver-gozero', () => {
  const d = new GoZeroDriver();

  it('splits etcd, discov and direct URLs after the service segment', () => {
    expectSplits(d, PLAIN);
    expectSplits(d, [
      ['etcd://127.0.0.1:2379/trans.rpc/trans.Trans/TransIn', 'etcd://127.0.0.1:2379/trans.rpc', '/trans.Trans/TransIn'],
      ['etcd://h1:2379,h2:2379,h3:2379/busi.rpc/busi.Busi/TransOut', 'etcd://h1:2379,h2:2379,h3:2379/busi.rpc', '/busi.Busi/TransOut'],
      ['discov://etcd:2379/busi.rpc/busi.Busi/TransOut', 'discov://etcd:2379/busi.rpc', '/busi.Busi/TransOut'],
      ['direct:///127.0.0.1:8080,127.0.0.1:8081/busi.Busi/TransIn', 'direct:///127.0.0.1:8080,127.0.0.1:8081', '/busi.Busi/TransIn'],
      ['ETCD://h:2379/a.rpc/a.A/B?x=1', 'etcd://h:2379/a.rpc', '/a.A/B'],
    ]);
  });

  it("refuses go-zero's consul, nacos and k8s targets with a reason", () => {
    expect(errorOf(d, 'consul://127.0.0.1:8500/trans.rpc?wait=14s/trans.Trans/TransIn')).toMatch(/dtm-driver-gozero cannot use .*consul registry .* has no client in dtx/);
    expect(errorOf(d, 'nacos://127.0.0.1:8848/trans.rpc/trans.Trans/TransIn')).toMatch(/nacos registry/);
    expect(errorOf(d, 'k8s://ns/svc:8080/trans.Trans/TransIn')).toMatch(/k8s/);
  });

  it('names the URL when it has no service or no method', () => {
    expect(errorOf(d, 'etcd://127.0.0.1:2379/trans.rpc')).toContain("bad url: 'etcd://127.0.0.1:2379/trans.rpc'");
    expect(errorOf(d, 'etcd://127.0.0.1:2379/trans.rpc/')).toContain('expected etcd://127.0.0.1:2379/<service>/<pkg.Service>/<Method>');
    expect(errorOf(d, 'etcd://127.0.0.1:2379')).toContain('bad url');
    expect(errorOf(d, 'nohost')).toBe("bad url: 'nohost'. no '/' found");
  });
});

describe('dtm-driver-kratos', () => {
  const d = new KratosDriver();

  it('splits discovery URLs after the service name', () => {
    expectSplits(d, PLAIN);
    expectSplits(d, [
      ['discovery:///trans/api.trans.v1.Trans/TransIn', 'discovery:///trans', '/api.trans.v1.Trans/TransIn'],
      ['discovery://default/helloworld/helloworld.Greeter/SayHello', 'discovery://default/helloworld', '/helloworld.Greeter/SayHello'],
    ]);
    expect(errorOf(d, 'discovery:///trans')).toContain('bad url');
  });
});

describe('dtm-driver-protocol1', () => {
  const d = new Protocol1Driver();

  it('splits protocol1 URLs after the service (or host:port) segment', () => {
    expectSplits(d, PLAIN);
    expectSplits(d, [
      ['protocol1://x/127.0.0.1:58081/busi.Busi/TransIn', 'protocol1://x/127.0.0.1:58081', '/busi.Busi/TransIn'],
      ['protocol1:///busi/busi.Busi/TransIn', 'protocol1:///busi', '/busi.Busi/TransIn'],
    ]);
  });

  it('refuses other schemes', () => {
    expect(errorOf(d, 'etcd://h:2379/a/b.C/D')).toContain('only protocol1:// URLs');
  });
});

describe('dtm-driver-polaris', () => {
  const d = new PolarisDriver();

  it("builds dtmdriver-polaris' server string with the namespace option", () => {
    expectSplits(d, PLAIN);
    const { server, method } = d.parseServerMethod('polaris://trans/trans.Trans/TransIn?namespace=Test');
    expect(method).toBe('/trans.Trans/TransIn');
    const options = /^polaris:\/\/trans\/\?options=(.+)$/.exec(server)?.[1] ?? '';
    expect(JSON.parse(Buffer.from(options.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString())).toEqual({ Namespace: 'Test' });
  });
});
