import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BranchInvoker } from '../../../src/invoker/branch-invoker.js';
import { GrpcInvoker } from '../../../src/invoker/grpc-invoker.js';
import { HttpInvoker } from '../../../src/invoker/http-invoker.js';
import type { BranchCall, Invoker } from '../../../src/invoker/invoker.js';
import { reply, startBranchServer } from './branch-server.js';
import type { BranchServer } from './branch-server.js';
import { startGrpcBranchServer } from './grpc-branch-server.js';
import type { GrpcBranchServer } from './grpc-branch-server.js';
import { splitServerMethod } from './split-server-method.js';

function branchCall(url: string, protocol: string): BranchCall {
  return {
    gid: 'g-r', transType: 'saga', branchId: '01', op: 'action', url, protocol,
    payload: new TextEncoder().encode('{"a":1}'), headers: {}, timeoutMs: 5_000,
  };
}

describe('BranchInvoker routes each call by transport (spec §6.1)', () => {
  let http: BranchServer;
  let grpcServer: GrpcBranchServer;
  let invoker: BranchInvoker;

  beforeAll(async () => {
    http = await startBranchServer((_req, res) => reply(res, 200, '{"dtm_result":"SUCCESS"}'));
    grpcServer = await startGrpcBranchServer();
    invoker = new BranchInvoker({ http: new HttpInvoker(), grpc: new GrpcInvoker({ parseServerMethod: splitServerMethod }) });
  });
  afterAll(async () => {
    await invoker.close();
    await http.close();
    await grpcServer.close();
  });
  afterEach(() => {
    http.requests.length = 0;
    grpcServer.calls.length = 0;
  });

  it('an http:// URL goes to the HTTP invoker, whatever the trans protocol', async () => {
    for (const protocol of ['http', 'grpc']) {
      const out = await invoker.call(branchCall(`${http.origin}/api/TransOut`, protocol));
      expect(out).toEqual({ result: 'SUCCESS', message: '{"dtm_result":"SUCCESS"}', httpStatus: 200 });
    }
    expect(http.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(grpcServer.calls).toHaveLength(0);
  });

  it('a host:port/pkg.Svc/Method URL of a grpc trans goes to the gRPC invoker', async () => {
    const out = await invoker.call(branchCall(`${grpcServer.target}/test.Branch/Ok`, 'grpc'));
    expect(out).toEqual({ result: 'SUCCESS', message: '' });
    expect(grpcServer.calls.map((c) => c.payload.toString())).toEqual(['{"a":1}']);
    expect(http.requests).toHaveLength(0);
  });

  it('the same URL in an http trans is sent as HTTP (and fails), as in dtm', async () => {
    const out = await invoker.call(branchCall(`${grpcServer.target}/test.Branch/Ok`, 'http'));
    expect(out.result).toBe('ERROR');
    expect(grpcServer.calls).toHaveLength(0);
  });

  it('an empty URL succeeds without any call', async () => {
    expect(await invoker.call(branchCall('', 'grpc'))).toEqual({ result: 'SUCCESS', message: '' });
    expect(http.requests).toHaveLength(0);
    expect(grpcServer.calls).toHaveLength(0);
  });

  it('the alert webhook (postJson) is posted over HTTP', async () => {
    expect(await invoker.postJson(`${http.origin}/alert`, { gid: 'g-r' }, 5_000)).toBe(200);
    expect(http.requests[0]?.body.toString()).toBe('{"gid":"g-r"}');
  });

  it('close() closes both invokers even when one of them fails', async () => {
    const closed: string[] = [];
    const part = (name: string, fails: boolean): Invoker => ({
      call: () => Promise.reject(new Error('unused')),
      postJson: () => Promise.resolve(undefined),
      close: () => {
        closed.push(name);
        return fails ? Promise.reject(new Error(`${name} close failed`)) : Promise.resolve();
      },
    });
    const both = new BranchInvoker({ http: part('http', true), grpc: part('grpc', false) });
    await expect(both.close()).rejects.toThrow('http close failed');
    expect(closed.sort()).toEqual(['grpc', 'http']);
  });
});
