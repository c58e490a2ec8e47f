import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpInvoker } from '../../../src/invoker/http-invoker.js';
import type { BranchCall } from '../../../src/invoker/invoker.js';
import { refusedPort, reply, startBranchServer } from './branch-server.js';
import type { BranchServer, RecordedRequest } from './branch-server.js';

const enc = new TextEncoder();

function jrpcCall(over: Partial<BranchCall> = {}): BranchCall {
  return {
    gid: 'g-rpc',
    transType: 'msg',
    branchId: '01',
    op: 'action',
    url: '',
    protocol: 'json-rpc',
    payload: enc.encode('{"amount":30,"gid":"spoofed"}'),
    headers: {},
    timeoutMs: 3_000,
    ...over,
  };
}

/** A JSON-RPC branch: answers according to the called method. */
function rpcHandler(req: RecordedRequest, res: Parameters<typeof reply>[0]): void {
  const { id, method } = JSON.parse(req.body.toString('utf8')) as { id: string; method: string };
  const answer = (error: unknown): void => reply(res, 200, JSON.stringify({ jsonrpc: '2.0', id, error, result: error === null ? {} : null }));
  switch (method) {
    case 'ok': return answer(null);
    case 'fail': return answer({ code: -32901, message: 'no stock' });
    case 'ongoing': return answer({ code: -32902, message: 'later' });
    case 'unknown': return answer({ code: -32601, message: 'Method not found: unknown' });
    case 'weird': return answer('not an object');
    case 'text': return reply(res, 200, 'hello');
    case 'http500': return reply(res, 500, 'boom');
    default: return reply(res, 404, 'no such method');
  }
}

describe('HttpInvoker (JSON-RPC branches, spec §6.3)', () => {
  let server: BranchServer;
  let invoker: HttpInvoker;
  let nextId = 0;

  beforeAll(async () => {
    server = await startBranchServer(rpcHandler);
    invoker = new HttpInvoker({ newRequestId: () => `req-${(nextId += 1)}` });
  });
  afterAll(async () => {
    await invoker.close();
    await server.close();
  });
  afterEach(() => {
    server.requests.length = 0;
  });

  it('POSTs the envelope to the URL as given, with the dtm fields merged into params', async () => {
    const out = await invoker.call(jrpcCall({ url: `${server.origin}/api/json-rpc?method=ok`, headers: { 'X-Trace': 't1' } }));
    expect(out.result).toBe('SUCCESS');
    expect(out.httpStatus).toBe(200);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/api/json-rpc?method=ok');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-trace']).toBe('t1');
    expect(JSON.parse(req?.body.toString('utf8') ?? '')).toEqual({
      jsonrpc: '2.0',
      method: 'ok',
      id: `req-${nextId}`,
      params: { amount: 30, gid: 'g-rpc', trans_type: 'msg', branch_id: '01', op: 'action' },
    });
  });

  const cases: readonly [string, string, string | RegExp][] = [
    ['fail', 'FAILURE', / FAILURE$/],
    ['ongoing', 'ONGOING', /later/],
    ['unknown', 'ERROR', /Method not found/],
    ['weird', 'ERROR', /not an object/],
    ['text', 'ERROR', /not JSON: hello/],
    ['http500', 'ERROR', 'boom'],
    ['missing', 'ERROR', 'no such method'],
  ];
  for (const [method, result, message] of cases) {
    it(`method ${method} → ${result}`, async () => {
      const out = await invoker.call(jrpcCall({ url: `${server.origin}/rpc?method=${method}` }));
      expect(out.result).toBe(result);
      expect(out.message).toMatch(message);
    });
  }

  it('an empty payload counts as {} (msg query-back)', async () => {
    const out = await invoker.call(jrpcCall({ url: `${server.origin}/rpc?method=ok`, payload: new Uint8Array(), op: 'msg' }));
    expect(out.result).toBe('SUCCESS');
    expect(JSON.parse(server.requests[0]?.body.toString('utf8') ?? '').params).toEqual({
      gid: 'g-rpc', trans_type: 'msg', branch_id: '01', op: 'msg',
    });
  });

  for (const payload of ['[1,2]', '"text"', 'null', '{broken']) {
    it(`payload ${payload} is not a JSON object → ERROR without a request`, async () => {
      const out = await invoker.call(jrpcCall({ url: `${server.origin}/rpc?method=ok`, payload: enc.encode(payload) }));
      expect(out.result).toBe('ERROR');
      expect(server.requests).toHaveLength(0);
    });
  }

  it('a json-rpc trans whose URL has no "method" uses plain HTTP', async () => {
    const s = await startBranchServer((_req, res) => reply(res, 200, 'ok'));
    try {
      await invoker.call(jrpcCall({ url: `${s.origin}/plain` }));
      expect(s.requests[0]?.url).toBe('/plain?branch_id=01&gid=g-rpc&op=action&trans_type=msg');
    } finally {
      await s.close();
    }
  });
});

describe('HttpInvoker.postJson (alert webhook)', () => {
  const invoker = new HttpInvoker();
  afterAll(async () => {
    await invoker.close();
  });

  it('POSTs the JSON body and resolves with the status', async () => {
    const s = await startBranchServer((_req, res) => reply(res, 202, ''));
    try {
      const body = { gid: 'g1', status: 'submitted', branch: 'http://b/x', error: 'e', retry_count: 3 };
      expect(await invoker.postJson(`${s.origin}/alert`, body, 1_000)).toBe(202);
      expect(s.requests[0]?.method).toBe('POST');
      expect(s.requests[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(s.requests[0]?.body.toString('utf8') ?? '')).toEqual(body);
    } finally {
      await s.close();
    }
  });

  it('never rejects: refused, timed out, bad URL or bad timeout → undefined', async () => {
    const port = await refusedPort();
    expect(await invoker.postJson(`http://127.0.0.1:${port}/alert`, {}, 1_000)).toBeUndefined();
    const hang = await startBranchServer(() => undefined);
    try {
      expect(await invoker.postJson(`${hang.origin}/alert`, {}, 200)).toBeUndefined();
    } finally {
      await hang.close();
    }
    expect(await invoker.postJson('not a url', {}, 1_000)).toBeUndefined();
    expect(await invoker.postJson('http://127.0.0.1:1/x', {}, -1)).toBeUndefined();
  });
});
