import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitStatus } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, rawCall, unary } from '../support/dtm-grpc-client.js';

/**
 * XA behaviours of spec §15.3 (xa_*_test.go) against the real dtx process: the test plays the
 * resource manager, registering its branch with its phase-2 URL; plus the gRPC and JSON-RPC paths.
 */
let dtx: DtxProcess;
let bs: BranchServer;
let client: grpc.Client;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
  client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await dtx?.kill();
  await bs?.close();
});

const xa = (gid: string, extra: Record<string, unknown> = {}) => ({ gid, trans_type: 'xa', ...extra });
const rm = (gid: string, id: string, p: string) => ({ gid, trans_type: 'xa', branch_id: id, url: bs.url(`/${p}/xa`) });

async function prepared(gid: string, branches: Array<Record<string, string>>, extra: Record<string, unknown> = {}): Promise<void> {
  expect((await post(dtx.api, 'prepare', xa(gid, extra))).status).toBe(200);
  for (const b of branches) expect((await post(dtx.api, 'registerBranch', b)).body).toEqual({ dtm_result: 'SUCCESS' });
}

describe('xa', () => {
  it('normal: commits every registered branch in registration order, POST with an empty body', async () => {
    const gid = gidOf('xa-n');
    await prepared(gid, [rm(gid, '01', 'xn1'), rm(gid, '02', 'xn2')]);
    await post(dtx.api, 'submit', xa(gid));
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    expect(q.branches.map((b) => `${b.branch_id}/${b.op}`)).toEqual(['01/rollback', '01/commit', '02/rollback', '02/commit']);
    const calls = bs.calls.filter((c) => c.query.gid === gid);
    expect(calls.map((c) => c.path)).toEqual(['/xn1/xa', '/xn2/xa']);
    expect(calls.map((c) => c.method)).toEqual(['POST', 'POST']);
    expect(calls[0]!.body).toBe('');
    expect(calls[0]!.query).toEqual({ branch_id: '01', gid, op: 'commit', trans_type: 'xa' });
  });

  it('rollback: only the registered branch is rolled back', async () => {
    const gid = gidOf('xa-rb');
    await prepared(gid, [rm(gid, '01', 'xr1')]);
    expect((await post(dtx.api, 'abort', xa(gid))).status).toBe(200);
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(rows(q)).toEqual(['succeed', 'prepared']);
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => `${c.path} ${c.query.op}`)).toEqual(['/xr1/xa rollback']);
  });

  it('local error: abort with no branch registered fails at once', async () => {
    const gid = gidOf('xa-le');
    await prepared(gid, []);
    await post(dtx.api, 'abort', xa(gid));
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(q.branches).toEqual([]);
  });

  it('timeout: a prepared xa with no branch fails at timeout_to_fail; a later submit is 409', async () => {
    const gid = gidOf('xa-to');
    await prepared(gid, [], { timeout_to_fail: 1 });
    const q = await waitStatus(dtx.api, gid, 'failed', 10_000);
    expect(q.transaction?.rollback_reason).toMatch(/^Timeout after \d+ seconds$/);
    expect(q.branches).toEqual([]);
    const late = await post(dtx.api, 'submit', xa(gid));
    expect(late.status).toBe(409);
    expect(late.body.message).toBe("current status 'failed', cannot sumbmit. FAILURE");
  });

  it('not timeout: a commit answered 200 ONGOING stays submitted, the retry commits', async () => {
    const gid = gidOf('xa-nt');
    bs.on('/xt1/xa', (_c, nth) => (nth === 1 ? { status: 200, body: '{"dtm_result":"ONGOING"}' } : SUCCESS));
    await prepared(gid, [rm(gid, '01', 'xt1')], { retry_interval: 1 });
    await post(dtx.api, 'submit', xa(gid));
    expect((await waitStatus(dtx.api, gid, 'submitted')).branches[1]?.status).toBe('prepared');
    expect(rows(await waitStatus(dtx.api, gid, 'succeed'))).toEqual(['prepared', 'succeed']);
  });

  it('a rollback answering 500 keeps it aborting until the retry succeeds', async () => {
    const gid = gidOf('xa-db');
    bs.on('/xd1/xa', (_c, nth) => (nth === 1 ? ERROR500 : SUCCESS));
    await prepared(gid, [rm(gid, '01', 'xd1')], { retry_interval: 1 });
    await post(dtx.api, 'abort', xa(gid));
    await waitStatus(dtx.api, gid, 'aborting');
    expect(rows(await waitStatus(dtx.api, gid, 'failed'))).toEqual(['succeed', 'prepared']);
    expect(bs.callsTo('/xd1/xa', gid)).toHaveLength(2);
  });
});

describe('xa and tcc over gRPC and JSON-RPC', () => {
  it('gRPC: Prepare, RegisterBranch (Data url, empty BusiPayload), Submit → committed', async () => {
    const gid = gidOf('xa-g');
    expect((await unary(client, 'Prepare', dtmRequest(gid, 'xa', null, []))).code).toBe(grpc.status.OK);
    expect((await unary(client, 'RegisterBranch', { Gid: gid, TransType: 'xa', BranchID: '01', Data: { url: bs.url('/xg1/xa') } })).code).toBe(grpc.status.OK);
    expect((await unary(client, 'Submit', dtmRequest(gid, 'xa', null, []))).code).toBe(grpc.status.OK);
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(q.transaction?.protocol).toBe('grpc');
    expect(bs.callsTo('/xg1/xa', gid).map((c) => c.query.op)).toEqual(['commit']);
  });

  it('gRPC: a tcc BusiPayload travels as bytes; Abort with a reason cancels; RegisterBranch after it is Aborted', async () => {
    const gid = gidOf('tcc-g');
    await unary(client, 'Prepare', dtmRequest(gid, 'tcc', null, []));
    const payload = Buffer.from([0x0a, 0x02, 0xff, 0x00]);
    const reg = await unary(client, 'RegisterBranch', { Gid: gid, TransType: 'tcc', BranchID: '01', Op: 'try', Data: { confirm: bs.url('/tg1/confirm'), cancel: bs.url('/tg1/cancel') }, BusiPayload: payload });
    expect(reg.code).toBe(grpc.status.OK);
    expect((await unary(client, 'Abort', dtmRequest(gid, 'tcc', null, [], { RollbackReason: 'rpc error: code = Aborted desc = reason:' }))).code).toBe(grpc.status.OK);
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(q.transaction?.rollback_reason).toBe('rpc error: code = Aborted desc = reason:');
    expect(q.branches[0]!.bin_data).toBe(payload.toString('base64'));
    const late = await unary(client, 'RegisterBranch', { Gid: gid, TransType: 'tcc', BranchID: '02', Data: {} });
    expect(late.code).toBe(grpc.status.ABORTED);
    expect(late.details).toBe(`no trans with gid: ${gid} status: prepared found FAILURE`);
  });

  it('JSON-RPC: prepare, registerBranch, submit of a tcc', async () => {
    const gid = gidOf('tcc-j');
    const call = async (method: string, params: unknown) =>
      (await (await fetch(`http://127.0.0.1:${dtx.port}/api/json-rpc`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: gid, method, params }) })).json()) as { error: unknown };
    expect((await call('prepare', { gid, trans_type: 'tcc' })).error).toBeNull();
    expect((await call('registerBranch', { gid, trans_type: 'tcc', branch_id: '01', data: '{"a":1}', confirm: bs.url('/tj1/confirm'), cancel: bs.url('/tj1/cancel') })).error).toBeNull();
    expect((await call('submit', { gid, trans_type: 'tcc' })).error).toBeNull();
    await waitStatus(dtx.api, gid, 'succeed');
    expect(bs.callsTo('/tj1/confirm', gid)[0]?.body).toBe('{"a":1}');
    const bad = await call('registerBranch', { gid, trans_type: 'tcc', branch_id: 1 });
    expect(bad.error).toMatchObject({ code: -32603, data: { code: 'DTX_BAD_REQUEST' } });
  });
});

describe('registerBranch: bad input is 400 / INVALID_ARGUMENT naming the field', () => {
  const base = { gid: 'bad-rb', trans_type: 'tcc', branch_id: '01' };
  it.each([
    ['a body that is not an object', '[]', /request body must be a JSON object of strings/],
    ['a non-string value', JSON.stringify({ ...base, data: { amount: 1 } }), /^data: expected a string/],
    ['a missing gid', JSON.stringify({ trans_type: 'tcc', branch_id: '01' }), /^gid is required$/],
    ['a missing branch_id', JSON.stringify({ gid: 'x', trans_type: 'tcc' }), /^branch_id is required$/],
    ['a branch_id with a slash', JSON.stringify({ ...base, branch_id: '01/02' }), /^branch_id: /],
    ['a branch_id too long', JSON.stringify({ ...base, branch_id: '1'.repeat(65) }), /^branch_id: must be 1-64/],
    ['a confirm URL with another scheme', JSON.stringify({ ...base, confirm: 'file:///etc/passwd' }), /^confirm: scheme 'file:'/],
    ['an xa url that is not absolute', JSON.stringify({ ...base, trans_type: 'xa', url: 'localhost/x' }), /^url: /],
    ['an unknown trans_type', JSON.stringify({ ...base, trans_type: 'banana' }), /unknow trans type: banana/],
    ['too many fields', JSON.stringify({ ...base, ...Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 'v'])) }), /at most 16 fields/],
    ['a bad field name', JSON.stringify({ ...base, 'a b': 'v' }), /^field name "a b": must be 1-64 characters/],
  ])('HTTP: %s', async (_n, body, message) => {
    const r = await post(dtx.api, 'registerBranch', body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('DTX_BAD_REQUEST');
    expect(String(r.body.message)).toMatch(message);
  });

  it('HTTP: data above 1 MiB is refused by the body limit or the data bound, never a 500', async () => {
    const r = await post(dtx.api, 'registerBranch', { ...base, data: 'x'.repeat(1_048_577) });
    expect([400, 413]).toContain(r.status);
  });

  it.each([
    ['no gid', { TransType: 'tcc', BranchID: '01' }, /^gid is required$/],
    ['a bad branch id', { Gid: 'g', TransType: 'xa', BranchID: 'a b' }, /^branch_id: /],
    ['a url no driver can split', { Gid: 'g', TransType: 'xa', BranchID: '01', Data: { url: 'ftp://x/y' } }, /^url: /],
    ['a confirm URL with credentials', { Gid: 'g', TransType: 'tcc', BranchID: '01', Data: { confirm: 'http://u:p@127.0.0.1:1/c' } }, /^confirm: must not carry credentials/],
  ])('gRPC: %s → INVALID_ARGUMENT', async (_n, req, message) => {
    const r = await unary(client, 'RegisterBranch', req);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(message);
  });

  it('gRPC: a BusiPayload above HttpMaxBodyBytes ends RESOURCE_EXHAUSTED before it is read', async () => {
    const r = await unary(client, 'RegisterBranch', { Gid: 'g', TransType: 'tcc', BranchID: '01', BusiPayload: Buffer.alloc(1_048_577) });
    expect(r.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('gRPC: malformed DtmBranchRequest bytes → INVALID_ARGUMENT', async () => {
    const r = await rawCall(`127.0.0.1:${dtx.grpcPort}`, 'RegisterBranch', Buffer.from([0x0a, 0x05, 0x61]));
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(/^malformed DtmBranchRequest/);
  });

  it('a registration for a saga is refused with 409, nothing stored', async () => {
    const gid = gidOf('rb-saga');
    await post(dtx.api, 'prepare', { gid, trans_type: 'saga', steps: [{ action: bs.url('/rs/a'), compensate: '' }], payloads: ['{}'] });
    const r = await post(dtx.api, 'registerBranch', { gid, trans_type: 'tcc', branch_id: '01' });
    expect(r.status).toBe(409);
    expect(r.body.message).toBe("trans type 'saga' takes no registered branches FAILURE");
    expect((await query(dtx.api, gid)).branches).toHaveLength(2);
  });

  it('an xa branch for a tcc transaction is refused with 409', async () => {
    const gid = gidOf('rb-mix');
    await post(dtx.api, 'prepare', xa(gid, { trans_type: 'tcc' }));
    const r = await post(dtx.api, 'registerBranch', rm(gid, '01', 'mx'));
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('DTX_INVALID_TRANSITION');
  });

  it('tcc/xa creation with steps is 400', async () => {
    const r = await post(dtx.api, 'submit', { gid: gidOf('rb-steps'), trans_type: 'xa', steps: [{ action: bs.url('/x') }], payloads: ['{}'] });
    expect(r.status).toBe(400);
    expect(String(r.body.message)).toMatch(/^steps: /);
    expect(ONGOING.status).toBe(425);
  });
});
