import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GrpcInvoker } from '../../../src/invoker/grpc-invoker.js';
import type { BranchCall } from '../../../src/invoker/invoker.js';
import { waitFor } from '../../support/dtm-client.js';
import { refusedPort } from './branch-server.js';
import { startGrpcBranchServer, startTcpCounter } from './grpc-branch-server.js';
import type { GrpcBranchServer } from './grpc-branch-server.js';
import { splitServerMethod } from './split-server-method.js';

function grpcCall(url: string, over: Partial<BranchCall> = {}): BranchCall {
  return {
    gid: 'g-1', transType: 'saga', branchId: '01', op: 'action', url, protocol: 'grpc',
    payload: new Uint8Array([0x0a, 0x02, 0xff, 0x80]), headers: {}, timeoutMs: 5_000, ...over,
  };
}

describe('GrpcInvoker (gRPC branches on a real grpc-js server)', () => {
  let server: GrpcBranchServer;
  let invoker: GrpcInvoker;
  const url = (method: string): string => `${server.target}/test.Branch/${method}`;

  beforeAll(async () => {
    server = await startGrpcBranchServer();
    invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod });
  });
  afterAll(async () => {
    await invoker.close();
    await server.close();
  });
  afterEach(() => {
    server.calls.length = 0;
  });

  it('sends the payload bytes untouched (non-UTF-8 included) to the split method', async () => {
    const payload = new Uint8Array([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x80, 0x0a]);
    const out = await invoker.call(grpcCall(url('Ok'), { payload }));
    expect(out).toEqual({ result: 'SUCCESS', message: '' });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.path).toBe('/test.Branch/Ok');
    expect(server.calls[0]?.payload.equals(Buffer.from(payload))).toBe(true);
  });

  it('an empty payload is an empty message', async () => {
    await invoker.call(grpcCall(url('Ok'), { payload: new Uint8Array() }));
    expect(server.calls[0]?.payload.byteLength).toBe(0);
  });

  it('sends dtm-* metadata (dtm-dtm empty) and branch_headers as plain pairs', async () => {
    await invoker.call(grpcCall(url('Ok'), {
      gid: 'gid-7', transType: 'tcc', branchId: '0102', op: 'confirm',
      headers: { 'X-Tenant': 'acme', authorization: 'Bearer t', 'trace-bin': 'é' },
    }));
    const md = server.calls[0]?.metadata;
    expect(md?.get('dtm-gid')).toEqual(['gid-7']);
    expect(md?.get('dtm-trans_type')).toEqual(['tcc']);
    expect(md?.get('dtm-branch_id')).toEqual(['0102']);
    expect(md?.get('dtm-op')).toEqual(['confirm']);
    expect(md?.get('dtm-dtm')).toEqual(['']);
    expect(md?.get('x-tenant')).toEqual(['acme']);
    expect(md?.get('authorization')).toEqual(['Bearer t']);
    expect(md?.get('trace-bin')).toEqual([Buffer.from('é', 'utf8')]);
  });

  it('maps statuses through the outcome table (spec §6.5)', async () => {
    const cases: readonly (readonly [string, string, RegExp])[] = [
      ['Ok', 'SUCCESS', /^$/],
      ['Aborted', 'FAILURE', /^boom\. FAILURE$/],
      ['AbortedOngoing', 'ONGOING', /^ONGOING$/],
      ['FailedPrecondition', 'ONGOING', /^not yet$/],
      ['Unavailable', 'ERROR', /^grpc ".*\/test\.Branch\/Unavailable": UNAVAILABLE \(14\): down for maintenance$/],
      ['Unknown', 'ERROR', /^grpc ".*\/test\.Branch\/Unknown": UNKNOWN \(2\): kaput$/],
    ];
    for (const [method, result, message] of cases) {
      const out = await invoker.call(grpcCall(url(method)));
      expect({ method, result: out.result }).toEqual({ method, result });
      expect(out.message).toMatch(message);
    }
    expect(server.calls).toHaveLength(cases.length);
  });

  it('a method the server does not have → ERROR (UNIMPLEMENTED)', async () => {
    const out = await invoker.call(grpcCall(`${server.target}/test.Branch/Nope`));
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain('UNIMPLEMENTED');
  });

  it('a handler slower than the deadline → ERROR (DEADLINE_EXCEEDED), soon after the deadline', async () => {
    const started = Date.now();
    const out = await invoker.call(grpcCall(url('Slow'), { timeoutMs: 300 }));
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('an unreachable port → ERROR (UNAVAILABLE) quickly, not a hang', async () => {
    const target = `127.0.0.1:${await refusedPort()}`;
    const started = Date.now();
    const out = await invoker.call(grpcCall(`${target}/test.Branch/Ok`, { timeoutMs: 20_000 }));
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain(`grpc "${target}/test.Branch/Ok"`);
    expect(out.message).toContain('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a URL the driver cannot split → ERROR with dtm’s message, no call', async () => {
    const noSlash = await invoker.call(grpcCall('localhost:1'));
    expect(noSlash).toEqual({ result: 'ERROR', message: `grpc "localhost:1": bad url: 'localhost:1'. no '/' found` });
    const scheme = await invoker.call(grpcCall('etcd://h/svc/pkg.S/M'));
    expect(scheme.result).toBe('ERROR');
    expect(scheme.message).toContain(`call dtmdriver.Use() before you use custom scheme for 'etcd://h/svc/pkg.S/M'`);
    expect(server.calls).toHaveLength(0);
  });

  it('a header gRPC metadata cannot carry → ERROR naming it, no call', async () => {
    const out = await invoker.call(grpcCall(url('Ok'), { headers: { 'bad header': 'x' } }));
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain('bad header');
    expect(server.calls).toHaveLength(0);
  });

  it('an empty URL succeeds without a call', async () => {
    expect(await invoker.call(grpcCall(''))).toEqual({ result: 'SUCCESS', message: '' });
    expect(server.calls).toHaveLength(0);
  });

  it('rejects a non-positive timeout as a programmer error', async () => {
    await expect(invoker.call(grpcCall(url('Ok'), { timeoutMs: 0 }))).rejects.toThrow(RangeError);
  });
});

describe('GrpcInvoker guard, channel cache and close', () => {
  let server: GrpcBranchServer;

  beforeAll(async () => {
    server = await startGrpcBranchServer();
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    server.calls.length = 0;
  });

  it('asks the guard with the dial target; a refusal is an ERROR with its reason and no call', async () => {
    const asked: string[] = [];
    const invoker = new GrpcInvoker({
      parseServerMethod: splitServerMethod,
      guard: (target) => {
        asked.push(target);
        return Promise.resolve(target.endsWith(`:${server.port}`) ? undefined : 'host not in the allow-list');
      },
    });
    try {
      expect((await invoker.call(grpcCall(`${server.target}/test.Branch/Ok`))).result).toBe('SUCCESS');
      const refused = await invoker.call(grpcCall('10.0.0.1:9/test.Branch/Ok'));
      expect(refused).toEqual({ result: 'ERROR', message: 'grpc "10.0.0.1:9/test.Branch/Ok": host not in the allow-list' });
      expect(asked).toEqual([server.target, '10.0.0.1:9']);
      expect(server.calls).toHaveLength(1);
    } finally {
      await invoker.close();
    }
  });

  it('dials the rewritten target (IS_DOCKER); a target grpc-js cannot parse is an ERROR', async () => {
    const invoker = new GrpcInvoker({
      parseServerMethod: splitServerMethod,
      rewriteTarget: (target) => target.replace('branch.test', '127.0.0.1'),
    });
    try {
      const out = await invoker.call(grpcCall(`branch.test:${server.port}/test.Branch/Ok`));
      expect(out.result).toBe('SUCCESS');
      expect(server.calls).toHaveLength(1);
      const empty = await invoker.call(grpcCall('/test.Branch/Ok'));
      expect(empty.result).toBe('ERROR');
      expect(empty.message).toMatch(/^grpc "\/test\.Branch\/Ok": .*target/);
    } finally {
      await invoker.close();
    }
  });

  it('reuses one channel (one TCP connection) per target and closes it when idle', async () => {
    const counter = await startTcpCounter(server.port);
    const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod, idleCloseMs: 300 });
    try {
      const u = `${counter.target}/test.Branch/Ok`;
      await Promise.all([invoker.call(grpcCall(u)), invoker.call(grpcCall(u))]);
      expect((await invoker.call(grpcCall(u))).result).toBe('SUCCESS');
      expect(counter.accepted()).toBe(1);
      expect(invoker.openChannels).toBe(1);
      await waitFor(async () => counter.open(), (n) => n === 0, 15_000, 'the idle channel to close its connection');
      expect(invoker.openChannels).toBe(0);
      expect((await invoker.call(grpcCall(u))).result).toBe('SUCCESS');
      expect(counter.accepted()).toBe(2);
    } finally {
      await invoker.close();
      await counter.close();
    }
  });

  it('close() drops every channel; later calls are ERROR, not a rejection', async () => {
    const counter = await startTcpCounter(server.port);
    const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod });
    try {
      await invoker.call(grpcCall(`${counter.target}/test.Branch/Ok`));
      await invoker.call(grpcCall(`${server.target}/test.Branch/Ok`));
      expect(invoker.openChannels).toBe(2);
      await invoker.close();
      expect(invoker.openChannels).toBe(0);
      await waitFor(async () => counter.open(), (n) => n === 0, 15_000, 'close() to drop the connection');
      const after = await invoker.call(grpcCall(`${server.target}/test.Branch/Ok`));
      expect(after.result).toBe('ERROR');
      expect(after.message).toContain('invoker is closed');
    } finally {
      await counter.close();
    }
  });
});
