import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GrpcInvoker } from '../../../src/invoker/grpc-invoker.js';
import type { BranchCall } from '../../../src/invoker/invoker.js';
import { grpcBranchServerPerSuite, startTcpCounter } from './grpc-branch-server.js';
import { splitServerMethod } from './split-server-method.js';

/**
 * The connection check of gRPC branch channels (guarded-credentials.ts) on a real grpc-js server:
 * it sees the socket grpc-js connected, per target, and a refusal ends the call before any HTTP/2.
 */
const call = (url: string): BranchCall => ({
  gid: 'g-guard', transType: 'saga', branchId: '01', op: 'action', url, protocol: 'grpc', payload: new Uint8Array([1]), headers: {}, timeoutMs: 5_000,
});

describe('GrpcInvoker connectionGuard', () => {
  const branchServer = grpcBranchServerPerSuite();

  it('is asked per target with the connected socket; an allowed connection carries the call', async () => {
    const server = branchServer();
    const seen: Array<[string, string | undefined, number | undefined]> = [];
    const invoker = new GrpcInvoker({
      parseServerMethod: splitServerMethod,
      connectionGuard: (target) => (socket: Socket) => {
        seen.push([target, socket.remoteAddress, socket.remotePort]);
        return undefined;
      },
    });
    try {
      expect(await invoker.call(call(`${server.target}/test.Branch/Ok`))).toEqual({ result: 'SUCCESS', message: '' });
      expect(seen).toEqual([[server.target, '127.0.0.1', server.port]]);
      expect(server.calls).toHaveLength(1);
    } finally {
      await invoker.close();
    }
  });

  it('a refused connection is closed before the call: ERROR naming the reason, the server sees nothing', async () => {
    const server = branchServer();
    const counter = await startTcpCounter(server.port);
    const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod, connectionGuard: () => () => 'not this one' });
    try {
      const out = await invoker.call(call(`${counter.target}/test.Branch/Ok`));
      expect(out.result).toBe('ERROR');
      expect(out.message).toContain('outbound policy: not this one');
      expect(counter.accepted()).toBeGreaterThan(0);
      expect(server.calls).toHaveLength(0);
    } finally {
      await invoker.close();
      await counter.close();
    }
  });
});
