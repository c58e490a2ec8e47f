import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtmProto, type DtmProgressesReply } from '../../src/protocol/dtm-proto.js';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS, type Answer } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitFor, waitStatus } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, rawCall, unary } from '../support/dtm-grpc-client.js';
import { endWorkflow, eventTypes, prepareWorkflow, recordProgress, type WorkflowRequest } from '../support/workflow-client.js';

/**
 * The workflow resume callback end to end: a gRPC workflow whose client serves the SDK's
 * `workflow.Workflow/Execute` (a real grpc-js server; dtx sends `WorkflowData{Data}` and dtm's
 * metadata), and the callback re-driven after a SIGKILL of dtx (spec §7.7, DESIGN §2).
 */
let dtx: DtxProcess;
let bs: BranchServer;
let client: grpc.Client;
let wfServer: grpc.Server;
let wfTarget: string;
interface Executed { readonly raw: Buffer; readonly md: grpc.Metadata }
const executed: Executed[] = [];
/** What the client's Execute does for a call: its nth call of a gid. */
let onExecute: (gid: string, nth: number) => Promise<grpc.ServiceError | null> = () => Promise.resolve(null);

beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
  client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
  wfServer = new grpc.Server();
  // identity deserializer: the test sees the bytes dtx sent and decodes them itself
  const service = Object.fromEntries(Object.entries(dtmProto().workflowService).map(([k, m]) => [k, { ...m, requestDeserialize: (b: Buffer) => b }]));
  wfServer.addService(service, {
    Execute: (call: grpc.ServerUnaryCall<Buffer, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      executed.push({ raw: call.request, md: call.metadata });
      const gid = String(call.metadata.get('dtm-gid')[0]);
      void onExecute(gid, executed.filter((e) => e.md.get('dtm-gid')[0] === gid).length).then((err) => (err ? cb(err) : cb(null, {})));
    },
  });
  const port = await new Promise<number>((resolve, reject) => wfServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  wfTarget = `127.0.0.1:${port}`;
});
afterAll(async () => {
  client?.close();
  wfServer?.forceShutdown();
  await dtx?.kill();
  await bs?.close();
});

type Reply = DtmProgressesReply & { Transaction: NonNullable<DtmProgressesReply['Transaction']> };
const INPUT = Buffer.from([0x0a, 0x02, 0x10, 0x1e, 0xff]); // a protobuf request, not text
const grpcWorkflow = (gid: string, extra = {}) => dtmRequest(gid, 'workflow', null, [], {
  CustomedData: JSON.stringify({ data: INPUT.toString('base64'), name: 'transfer' }), QueryPrepared: `${wfTarget}/workflow.Workflow/Execute`, TransOptions: { RetryInterval: 1 }, ...extra,
});

describe('gRPC workflow', () => {
  it('PrepareWorkflow, RegisterBranch with bytes; the cron calls Execute with WorkflowData{Data} and dtm metadata until the client ends it', async () => {
    const gid = gidOf('gwf');
    onExecute = async (g, nth) => {
      if (nth === 1) return Object.assign(new Error('ONGOING'), { code: grpc.status.FAILED_PRECONDITION, details: 'ONGOING' }) as grpc.ServiceError;
      const seen = await unary<Reply>(client, 'PrepareWorkflow', grpcWorkflow(g));
      expect(seen.value?.Progresses.map((p) => [p.BranchID, p.Op, p.Status, [...p.BinData]])).toEqual([['01', 'action', 'succeed', [0, 0xff]]]);
      await unary(client, 'Submit', dtmRequest(g, 'workflow', null, [], { ReqExtra: { status: 'succeed', rollback_reason: '', result: 'b2s=' } }));
      return null;
    };
    const created = await unary<Reply>(client, 'PrepareWorkflow', grpcWorkflow(gid));
    expect(created.value).toEqual({ Transaction: { Gid: gid, Status: 'prepared', RollbackReason: '', Result: '' }, Progresses: [] });
    const reg = await unary(client, 'RegisterBranch', { Gid: gid, TransType: 'workflow', BranchID: '01', Data: { op: 'action', status: 'succeed' }, BusiPayload: Buffer.from([0, 0xff]) });
    expect(reg.code).toBe(grpc.status.OK);
    await waitFor(() => eventTypes(dtx.api, gid), (ev) => ev.includes('BranchOngoing'), 15_000, 'the first Execute answered ONGOING');
    expect((await query(dtx.api, gid)).transaction?.status).toBe('prepared');
    await post(dtx.api, 'resetNextCronTime', { gid });
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['succeed']);
    const mine = executed.filter((e) => e.md.get('dtm-gid')[0] === gid);
    expect(mine).toHaveLength(2);
    for (const e of mine) {
      expect([...dtmProto().messages.WorkflowData.decode(e.raw).Data]).toEqual([...INPUT]);
      expect(['dtm-branch_id', 'dtm-op', 'dtm-trans_type'].map((k) => e.md.get(k)[0])).toEqual(['00', 'transfer', 'workflow']);
    }
    // the finished workflow's result comes back over gRPC too (dtm leaves it empty, spec §16.6)
    expect((await unary<Reply>(client, 'PrepareWorkflow', grpcWorkflow(gid))).value?.Transaction).toEqual({ Gid: gid, Status: 'succeed', RollbackReason: '', Result: 'b2s=' });
  });

  it.each([
    ['another TransType', dtmRequest('gb1', 'saga', null, []), /^trans_type: prepareWorkflow takes trans_type workflow/],
    ['no CustomedData', dtmRequest('gb2', 'workflow', null, []), /^custom_data: a workflow needs/],
    ['a name gRPC metadata cannot carry', dtmRequest('gb3', 'workflow', null, [], { CustomedData: '{"name":"转账"}' }), /^custom_data\.name must be .*printable ASCII/],
    ['an uncallable QueryPrepared', dtmRequest('gb4', 'workflow', null, [], { CustomedData: '{"name":"w"}', QueryPrepared: 'no-slash' }), /^query_prepared: /],
    ['ReqExtra over its bound', dtmRequest('gb5', 'workflow', null, [], { CustomedData: '{"name":"w"}', ReqExtra: { x: 'y'.repeat(70_000) } }), /^req_extra\.x: must be at most 65536 characters/],
  ])('bad PrepareWorkflow input → INVALID_ARGUMENT naming the field: %s', async (_n, req, message) => {
    const r = await unary(client, 'PrepareWorkflow', req);
    expect([r.code, r.trailer?.get('dtx-error-code')]).toEqual([grpc.status.INVALID_ARGUMENT, ['DTX_BAD_REQUEST']]);
    expect(r.details).toMatch(message);
  });

  it('malformed PrepareWorkflow bytes → INVALID_ARGUMENT naming the field', async () => {
    const r = await rawCall(`127.0.0.1:${dtx.grpcPort}`, 'PrepareWorkflow', Buffer.from([0x0a, 0x02, 0xff, 0xfe]));
    expect([r.code, r.details]).toEqual([grpc.status.INVALID_ARGUMENT, 'malformed DtmRequest: Gid: not valid UTF-8']);
  });
});

describe('workflow resume after a SIGKILL of dtx', () => {
  it('a callback in flight at the kill, and one not yet due, are called by the restarted dtx, which the client then ends', async () => {
    const dataDir = tempDir('dtx-wf-crash-');
    await dtx.kill();
    dtx = await startDtx({ dataDir });
    client.close();
    client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
    const inFlight: WorkflowRequest = { gid: gidOf('wk1'), name: 'crashing', callback: bs.url('/wk1/resume'), input: '{"n":1}', extra: { retry_interval: 1 } };
    const notDue: WorkflowRequest = { gid: gidOf('wk2'), name: 'crashing', callback: bs.url('/wk2/resume'), input: '{"n":2}', extra: { retry_interval: 5 } };
    let hold: (a: Answer) => void = () => {};
    // the first callback never answers before the kill; after the restart the handler ends the workflow
    const finishing = async (nth: number, w: WorkflowRequest): Promise<Answer> => {
      if (nth === 1 && w === inFlight) return new Promise<Answer>((r) => (hold = r));
      await recordProgress(dtx.api, w.gid, '02', 'action', 'succeed');
      await endWorkflow(dtx.api, w.gid, 'succeed', { result: 'ok' });
      return SUCCESS;
    };
    bs.on('/wk1/resume', (_c, nth) => finishing(nth, inFlight));
    bs.on('/wk2/resume', (_c, nth) => finishing(nth, notDue));
    for (const w of [inFlight, notDue]) {
      expect((await prepareWorkflow(dtx.api, w)).status).toBe(200);
      await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed');
    }
    await waitFor(() => Promise.resolve(bs.callsTo('/wk1/resume').length), (n) => n === 1, 15_000, 'the first callback call');
    const killed = dtx;
    await dtx.kill('SIGKILL');
    hold({ status: 500, body: 'dtx is gone' });
    expect(bs.callsTo('/wk2/resume')).toHaveLength(0);

    // the same HTTP port (the client's dtx address): the re-driven callback runs the workflow against
    // it, so dtx must not call before it listens
    dtx = await startDtx({ dataDir, env: { HTTP_PORT: String(killed.port) } });
    for (const w of [inFlight, notDue]) {
      const q = await waitStatus(dtx.api, w.gid, 'succeed', 60_000);
      expect(rows(q)).toEqual(['succeed', 'succeed']);
      expect(q.transaction?.result).toBe(Buffer.from('ok').toString('base64'));
    }
    expect(bs.callsTo('/wk1/resume').map((c) => c.body)).toEqual(['{"n":1}', '{"n":1}']);
    expect(bs.callsTo('/wk2/resume').map((c) => [c.query.op, c.body])).toEqual([['crashing', '{"n":2}']]);
  });
});
