import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtmOngoing, DtmRequestError, DtmTransportError, grpcDtm, httpDtm, Saga, tccGlobalTransaction } from '../src/index.js';
import { BusiPair } from './support/busi-pair.js';
import { newTestGid, statuses, waitStatus, startDtxCoordinator, type Coordinator } from './support/coordinators.js';

// The typed errors against the real dtx process: no answer is DtmTransportError, a refused request
// DtmRequestError (with the server's reason), a branch's ONGOING DtmOngoing; none is swallowed.
let coordinator: Coordinator;
let busi: BusiPair;
let closedPort = 0;

beforeAll(async () => {
  coordinator = await startDtxCoordinator();
  busi = await BusiPair.start();
  // a port that was just bound and released: nothing listens there
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  await busi?.close();
  await coordinator?.close();
});

describe('typed errors', () => {
  it('no server: DtmTransportError over HTTP and gRPC, naming the target, retryable', async () => {
    const http = httpDtm(`http://127.0.0.1:${closedPort}/api/dtmsvr`);
    const httpErr = await http.newGid().then(() => undefined, (e: unknown) => e);
    expect(httpErr).toBeInstanceOf(DtmTransportError);
    expect((httpErr as DtmTransportError).target).toContain(String(closedPort));
    expect((httpErr as DtmTransportError).retryable).toBe(true);
    const grpc = grpcDtm(`127.0.0.1:${closedPort}`, { timeoutMs: 5_000 });
    try {
      const grpcErr = await new Saga(grpc, newTestGid('noserver')).add(`127.0.0.1:${closedPort}/busi.Busi/TransOut`, '', {}).submit().then(() => undefined, (e: unknown) => e);
      expect(grpcErr).toBeInstanceOf(DtmTransportError);
      expect((grpcErr as DtmTransportError).target).toBe(`127.0.0.1:${closedPort}`);
    } finally {
      grpc.close();
    }
  });

  it('a request the server refuses: DtmRequestError with the status and the server’s reason', async () => {
    const gid = newTestGid('bad');
    const httpErr = await new Saga(coordinator.http, gid).add('not a url', '', {}).submit().then(() => undefined, (e: unknown) => e);
    expect(httpErr).toBeInstanceOf(DtmRequestError);
    expect((httpErr as DtmRequestError).httpStatus).toBe(400);
    expect((httpErr as DtmRequestError).body).toMatch(/action/);
    const grpcErr = await new Saga(coordinator.grpc, gid).add('not a url', '', {}).submit().then(() => undefined, (e: unknown) => e);
    expect(grpcErr).toBeInstanceOf(DtmRequestError);
    expect((grpcErr as DtmRequestError).grpcCode).toBe(3); // INVALID_ARGUMENT
  });

  it.each(['http', 'grpc'] as const)('a try answering ONGOING over %s: DtmOngoing reaches the caller and the transaction is aborted', async (protocol) => {
    const b = busi.side(protocol, coordinator);
    const gid = newTestGid(`ongoing-${protocol}`);
    b.on(gid, 'TransIn', 'ONGOING');
    const run = tccGlobalTransaction(b.dtm, gid, async (tcc) => {
      await tcc.callBranch({ amount: 1 }, b.url('TransIn'), b.url('TransInConfirm'), b.url('TransInRevert'));
    });
    await expect(run).rejects.toBeInstanceOf(DtmOngoing);
    const q = await waitStatus(coordinator.api, gid, 'failed');
    expect(statuses(q)).toEqual(['succeed', 'prepared']);
    expect(b.trace(gid)).toEqual(['TransIn:try', 'TransInRevert:cancel']);
  });
});
