import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500 } from '../support/branch-server.js';
import { gidOf, query, waitStatus } from '../support/dtm-client.js';

/** dtm's JSON-RPC endpoint `POST /api/json-rpc` (spec §4) on the real process. */
const MAX_BYTES = 8192;
let dtx: DtxProcess;
let bs: BranchServer;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx({ env: { HTTP_MAX_BODY_BYTES: String(MAX_BYTES) } }), BranchServer.start()]);
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

interface RpcReply {
  status: number;
  body: { jsonrpc: string; id: string; error: { code: number; message: string; data?: { code: string } } | null; result: unknown };
}

async function rpc(body: unknown, headers: Record<string, string> = {}, port = dtx.port): Promise<RpcReply> {
  const res = await fetch(`http://127.0.0.1:${port}/api/json-rpc`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as RpcReply['body'] };
}
let ids = 0;
const call = (method: string, params?: unknown) => rpc({ jsonrpc: '2.0', id: `id-${++ids}`, method, params });
const saga = (gid: string, p: string, extra: Record<string, unknown> = {}) => ({
  gid, trans_type: 'saga', steps: [{ action: bs.url(`/${p}/a1`), compensate: bs.url(`/${p}/c1`) }], payloads: ['{"amount":30}'], ...extra,
});

describe('JSON-RPC: methods', () => {
  it('newGid: result {gid}, error null, id echoed', async () => {
    const r = await rpc({ jsonrpc: '2.0', id: 'abc', method: 'newGid' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ jsonrpc: '2.0', id: 'abc', error: null });
    expect((r.body.result as { gid: string }).gid).toMatch(/^[2-9A-HJ-NP-Za-km-z]{22}$/);
  });

  it('submit: a saga runs; the gid is not escaped (dtm escapes only HTTP bodies)', async () => {
    const gid = `${gidOf('jr')};semi`;
    const r = await call('submit', saga(gid, 'js'));
    expect(r.body).toMatchObject({ error: null, result: null });
    await waitStatus(dtx.api, gid, 'succeed');
    expect(bs.callsTo('/js/a1', gid).map((c) => c.body)).toEqual(['{"amount":30}']);
  });

  it('prepare, submit and abort of msgs', async () => {
    const gid = gidOf('jm');
    const msg = { gid, trans_type: 'msg', steps: [{ action: bs.url('/jm/a1') }], payloads: ['{}'], query_prepared: bs.url('/jm/qp') };
    expect((await call('prepare', msg)).body.error).toBeNull();
    expect((await call('submit', msg)).body.error).toBeNull();
    await waitStatus(dtx.api, gid, 'succeed');
    const ab = gidOf('jma');
    await call('prepare', { ...msg, gid: ab });
    expect((await call('abort', { gid: ab, trans_type: 'msg' })).body).toMatchObject({ error: null, result: null });
    expect((await query(dtx.api, ab)).transaction?.status).toBe('failed');
  });

  it('keys match case-insensitively, as Go decodes them', async () => {
    const r = await rpc({ JSONRPC: '2.0', Id: 'ci', METHOD: 'newGid' });
    expect(r.body).toMatchObject({ id: 'ci', error: null });
  });
});

describe('JSON-RPC: error codes', () => {
  it('-32901 FAILURE: submit after succeed, with dtm text', async () => {
    const gid = gidOf('jf');
    await call('submit', saga(gid, 'jf', { wait_result: true }));
    const r = await call('submit', saga(gid, 'jf'));
    expect(r.status).toBe(200);
    expect(r.body.error).toEqual({ code: -32901, message: "current status 'succeed', cannot sumbmit. FAILURE", data: { code: 'DTX_INVALID_TRANSITION' } });
    expect(r.body.result).toBeNull();
  });

  it('-32603 for other errors: unknown gid, a pass error, registerBranch of an unknown type; dtx code in data', async () => {
    const missing = await call('abort', { gid: 'jr-nobody', trans_type: 'msg' });
    expect(missing.body.error).toEqual({ code: -32603, message: 'no TransGlobal with gid: jr-nobody found', data: { code: 'DTX_TRANS_NOT_FOUND' } });
    const gid = gidOf('jerr');
    bs.on('/je/a1', ERROR500);
    const pass = await call('submit', { gid, trans_type: 'msg', steps: [{ action: bs.url('/je/a1') }], payloads: ['{}'], wait_result: true, retry_interval: 60 });
    expect(pass.body.error?.code).toBe(-32603);
    expect(pass.body.error?.message).toContain('internal boom');
    await call('abort', { gid, trans_type: 'msg' });
    // TestMsgJprcAbnormal: registerBranch of an unknown trans_type → -32603
    const rb = await call('registerBranch', { gid, trans_type: 'banana', branch_id: '01' });
    expect(rb.body.error).toMatchObject({ code: -32603, data: { code: 'DTX_BAD_REQUEST' } });
    expect(rb.body.error?.message).toMatch(/unknow trans type: banana/);
  });

  it.each([
    ['not JSON', '{"jsonrpc":', /^Parse json error: /],
    ['a numeric id', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'newGid' }), /^Parse json error: id: expected a string, got number$/],
    ['an array body', '[]', /^Parse json error: the request must be a JSON object, got an array$/],
  ])('-32700 with HTTP 400: %s', async (_n, body, message) => {
    const r = await rpc(body);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe(-32700);
    expect(r.body.error?.message).toMatch(message);
  });

  it.each([
    ['no id', { jsonrpc: '2.0', method: 'newGid' }],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 'x', method: 'newGid' }],
    ['a null body', null],
  ])('-32600 with HTTP 200: %s', async (_n, body) => {
    const r = await rpc(JSON.stringify(body));
    expect(r.status).toBe(200);
    expect(r.body.error?.code).toBe(-32600);
    expect(r.body.error?.message).toMatch(/^Bad json request: \{"method":/);
  });

  it('-32601: an unknown method (query and all are not JSON-RPC methods in dtm)', async () => {
    for (const m of ['query', 'all', 'toString', '__proto__']) {
      const r = await call(m);
      expect(r.body.error, m).toEqual({ code: -32601, message: `Method not found: ${m}` });
    }
    const gz = await rpc('not gzip', { 'Content-Encoding': 'gzip' });
    expect([gz.status, gz.body.error?.code, gz.body.error?.data]).toEqual([400, -32700, { code: 'DTX_BAD_REQUEST' }]);
    expect(gz.body.error?.message).toMatch(/^Parse json error: request body: unreadable/);
    const long = await call('m'.repeat(5000));
    expect(long.body.error).toEqual({ code: -32601, message: `Method not found: ${'m'.repeat(64)}...` });
  });

  it.each([
    ['params not an object', [1, 2], /^params must be a JSON object$/],
    ['no params', undefined, /^params must be a JSON object$/],
    ['no gid', { trans_type: 'saga' }, /^gid is required$/],
    ['timeout_to_fail as a string', { gid: 'jp1', trans_type: 'saga', timeout_to_fail: '10' }, /^timeout_to_fail: /],
    ['a step URL that cannot be called', { gid: 'jp2', trans_type: 'saga', steps: [{ action: 'ftp://x/y', compensate: '' }], payloads: ['{}'] }, /^steps\.0\.action: scheme 'ftp:'/],
    ['an unknown trans_type', { gid: 'jp3', trans_type: 'banana' }, /unknow trans type: banana/],
  ])('bad params → -32603 naming the field, data.code DTX_BAD_REQUEST: %s', async (_n, params, message) => {
    const r = await call('submit', params);
    expect(r.status).toBe(200);
    expect(r.body.error).toMatchObject({ code: -32603, data: { code: 'DTX_BAD_REQUEST' } });
    expect(r.body.error?.message).toMatch(message);
  });

  it('workflow: a submit without req_extra.status → -32603 naming it; an unknown gid → -32603 not found; no prepareWorkflow method (as dtm)', async () => {
    const bad = await call('submit', { gid: 'jp4', trans_type: 'workflow' });
    expect(bad.body.error).toMatchObject({ code: -32603, data: { code: 'DTX_BAD_REQUEST' } });
    expect(bad.body.error?.message).toMatch(/^req_extra\.status: /);
    const unknown = await call('submit', { gid: gidOf('jp5'), trans_type: 'workflow', req_extra: { status: 'succeed' } });
    expect(unknown.body.error).toMatchObject({ code: -32603, data: { code: 'DTX_TRANS_NOT_FOUND' } });
    expect((await call('prepareWorkflow', { gid: 'jp6', trans_type: 'workflow' })).body.error).toMatchObject({ code: -32601 });
  });

  it(`a body above HttpMaxBodyBytes (${MAX_BYTES}) → HTTP 413, -32600, DTX_PAYLOAD_TOO_LARGE`, async () => {
    const r = await call('submit', saga(gidOf('jbig'), 'jb', { payloads: ['x'.repeat(MAX_BYTES)] }));
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: -32600, data: { code: 'DTX_PAYLOAD_TOO_LARGE' } });
  });
});

describe('JSON-RPC with Auth.Tokens', () => {
  const TOKEN = 'json-rpc-test-token-0123456789';
  let secured: DtxProcess;
  beforeAll(async () => {
    secured = await startDtx({ env: { AUTH_TOKENS: TOKEN } });
  });
  afterAll(async () => {
    await secured?.kill();
  });

  it('needs the bearer token like the rest of the API', async () => {
    const body = { jsonrpc: '2.0', id: 'a', method: 'newGid' };
    const none = await rpc(body, {}, secured.port);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'DTX_UNAUTHORIZED' });
    const ok = await rpc(body, { authorization: `Bearer ${TOKEN}` }, secured.port);
    expect(ok.status).toBe(200);
    expect(ok.body.error).toBeNull();
  });
});
