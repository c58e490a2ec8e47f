import * as grpc from '@grpc/grpc-js';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, FAILURE } from '../support/branch-server.js';
import { gidOf, query, rows, waitStatus } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, healthClient, reflectedServices, unary } from '../support/dtm-grpc-client.js';

/** dtx's gRPC ingress (spec §10) through a real grpc-js client, with real HTTP branches. */
let dtx: DtxProcess;
let bs: BranchServer;
let client: grpc.Client;
let target: string;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
  target = `127.0.0.1:${dtx.grpcPort}`;
  client = dtmClient(target);
});
afterAll(async () => {
  client?.close();
  await dtx?.kill();
  await bs?.close();
});

const sagaSteps = (p: string, n = 2) => Array.from({ length: n }, (_, i) => ({ action: bs.url(`/${p}/a${i + 1}`), compensate: bs.url(`/${p}/c${i + 1}`) }));
const payloads = (n: number) => Array.from({ length: n }, (_, i) => `{"amount":${i + 30}}`);

describe('gRPC ingress: dtmgimp.Dtm', () => {
  it('listens on its own port, logged as grpcPort', () => {
    expect(dtx.grpcPort).toBeGreaterThan(0);
    expect(dtx.grpcPort).not.toBe(dtx.port);
  });

  it('a GrpcPort already taken stops the start with exit code 1 naming the address', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      await expect(startDtx({ env: { GRPC_PORT: String(port) } })).rejects.toThrow(new RegExp(`exited with code 1[\\s\\S]*dtx: cannot start: gRPC port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      taken.close();
    }
  });

  it('NewGid answers a 22-character shortuuid', async () => {
    const r = await unary<{ Gid: string }>(client, 'NewGid', {});
    expect(r.code).toBe(grpc.status.OK);
    expect(r.value?.Gid).toMatch(/^[2-9A-HJ-NP-Za-km-z]{22}$/);
  });

  it('saga normal: Submit runs the HTTP branches with the payload bytes as the body', async () => {
    const gid = gidOf('gs-normal');
    const r = await unary(client, 'Submit', dtmRequest(gid, 'saga', sagaSteps('gn'), payloads(2)));
    expect(r).toMatchObject({ code: grpc.status.OK });
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    expect(q.transaction?.protocol).toBe('grpc');
    const calls = bs.calls.filter((c) => c.query.gid === gid);
    expect(calls.map((c) => [c.path, c.body])).toEqual([['/gn/a1', '{"amount":30}'], ['/gn/a2', '{"amount":31}']]);
    expect(calls[0]!.query).toEqual({ branch_id: '01', gid, op: 'action', trans_type: 'saga' });
  });

  it('saga rollback: a FAILURE action compensates in reverse order', async () => {
    const gid = gidOf('gs-rollback');
    bs.on('/gr/a2', FAILURE);
    expect((await unary(client, 'Submit', dtmRequest(gid, 'saga', sagaSteps('gr'), payloads(2)))).code).toBe(grpc.status.OK);
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(q.transaction?.rollback_reason).toContain('Insufficient balance');
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path)).toEqual(['/gr/a1', '/gr/a2', '/gr/c2', '/gr/c1']);
  });

  it('msg: Prepare then Submit; a second Prepare after succeed is Aborted with dtm text', async () => {
    const gid = gidOf('gm');
    const req = dtmRequest(gid, 'msg', [{ action: bs.url('/gm/a1') }], payloads(1), { QueryPrepared: bs.url('/gm/qp') });
    expect((await unary(client, 'Prepare', req)).code).toBe(grpc.status.OK);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('prepared');
    expect((await unary(client, 'Submit', req)).code).toBe(grpc.status.OK);
    await waitStatus(dtx.api, gid, 'succeed');
    expect(bs.callsTo('/gm/a1', gid).map((c) => c.body)).toEqual(['{"amount":30}']);
    const again = await unary(client, 'Prepare', req);
    expect(again.code).toBe(grpc.status.ABORTED);
    expect(again.details).toBe("current status 'succeed', cannot prepare. FAILURE");
    expect(again.trailer?.get('dtx-error-code')).toEqual(['DTX_INVALID_TRANSITION']);
  });

  it('wait_result: OK after the pass; a rolled-back saga is Aborted with the reason', async () => {
    const ok = gidOf('gw-ok');
    const r1 = await unary(client, 'Submit', dtmRequest(ok, 'saga', sagaSteps('gwo'), payloads(2), { TransOptions: { WaitResult: true } }));
    expect(r1.code).toBe(grpc.status.OK);
    expect((await query(dtx.api, ok)).transaction?.status).toBe('succeed');

    const bad = gidOf('gw-bad');
    bs.on('/gwb/a1', FAILURE);
    const r2 = await unary(client, 'Submit', dtmRequest(bad, 'saga', sagaSteps('gwb'), payloads(2), { TransOptions: { WaitResult: true } }));
    expect(r2.code).toBe(grpc.status.ABORTED);
    expect(r2.details).toContain('Insufficient balance');
    expect(r2.details).toMatch(/FAILURE$/);
  });

  it('wait_result: a msg whose action errors answers Unknown (dtm: a plain error)', async () => {
    const gid = gidOf('gw-err');
    bs.on('/gwe/a1', ERROR500);
    const req = dtmRequest(gid, 'msg', [{ action: bs.url('/gwe/a1') }], payloads(1), { TransOptions: { WaitResult: true, RetryInterval: 60 } });
    const r = await unary(client, 'Submit', req);
    expect(r.code).toBe(grpc.status.UNKNOWN);
    expect(r.details).toContain('internal boom');
    await unary(client, 'Abort', { Gid: gid, TransType: 'msg' });
  });

  it('Abort: a prepared msg fails; a submitted saga is Aborted; an unknown gid is Internal (dtm)', async () => {
    const gid = gidOf('ga');
    await unary(client, 'Prepare', dtmRequest(gid, 'msg', [{ action: bs.url('/ga/a1') }], payloads(1), { QueryPrepared: bs.url('/ga/qp') }));
    expect((await unary(client, 'Abort', { Gid: gid, TransType: 'msg' })).code).toBe(grpc.status.OK);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('failed');

    const done = gidOf('ga-saga');
    await unary(client, 'Submit', dtmRequest(done, 'saga', sagaSteps('gas', 1), payloads(1), { TransOptions: { WaitResult: true } }));
    const r = await unary(client, 'Abort', { Gid: done, TransType: 'saga' });
    expect(r.code).toBe(grpc.status.ABORTED);
    expect(r.details).toBe("trans type: 'saga' current status 'succeed', cannot abort. FAILURE");

    const missing = await unary(client, 'Abort', { Gid: gidOf('nobody'), TransType: 'msg' });
    expect(missing.code).toBe(grpc.status.INTERNAL);
    expect(missing.details).toMatch(/^no TransGlobal with gid: nobody-.* found$/);
    expect(missing.trailer?.get('dtx-error-code')).toEqual(['DTX_TRANS_NOT_FOUND']);
  });

  it('workflow is served: Prepare/Submit/RegisterBranch name their problems, PrepareWorkflow answers the state', async () => {
    const noEnd = await unary(client, 'Submit', dtmRequest('u-wf', 'workflow', null, []));
    expect([noEnd.code, noEnd.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^req_extra\.status: /)]);
    const unknown = await unary(client, 'Submit', dtmRequest(gidOf('u-wf'), 'workflow', null, [], { ReqExtra: { status: 'succeed' } }));
    expect(unknown.code).toBe(grpc.status.INTERNAL);
    expect(unknown.trailer?.get('dtx-error-code')).toEqual(['DTX_TRANS_NOT_FOUND']);
    const gid = gidOf('u-pw');
    const created = await unary<{ Transaction: { Gid: string; Status: string }; Progresses: unknown[] }>(client, 'PrepareWorkflow', dtmRequest(gid, 'workflow', null, [], { CustomedData: '{"data":null,"name":"w"}' }));
    expect(created.value).toMatchObject({ Transaction: { Gid: gid, Status: 'prepared' }, Progresses: [] });
    const badOp = await unary(client, 'RegisterBranch', { Gid: gid, TransType: 'workflow', BranchID: '01', Data: { op: '', status: 'succeed' } });
    expect([badOp.code, badOp.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^op: /)]);
  });

  it('health checking answers SERVING for the server and for dtmgimp.Dtm', async () => {
    const health = healthClient(target);
    try {
      expect((await unary<{ status: string }>(health, 'Check', { service: '' })).value?.status).toBe('SERVING');
      expect((await unary<{ status: string }>(health, 'Check', { service: 'dtmgimp.Dtm' })).value?.status).toBe('SERVING');
      expect((await unary(health, 'Check', { service: 'no.Such' })).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  it('server reflection lists dtmgimp.Dtm and the health service', async () => {
    const r = await reflectedServices(target);
    expect(r).toEqual({ services: ['dtmgimp.Dtm', 'grpc.health.v1.Health'] });
  });

  it('counts gRPC calls in dtm_server_process_total', async () => {
    const text = await (await fetch(`http://127.0.0.1:${dtx.port}/api/metrics`)).text();
    expect(text).toMatch(/dtm_server_process_total\{type="grpc",api="submit",status="ok"\} [1-9]/);
    expect(text).toMatch(/dtm_server_process_total\{type="grpc",api="abort",status="fail"\} [1-9]/);
  });
});
