import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpInvoker } from '../../../src/invoker/http-invoker.js';
import type { BranchCall } from '../../../src/invoker/invoker.js';
import { refusedPort, reply, startBranchServer } from './branch-server.js';
import type { BranchServer } from './branch-server.js';

const enc = new TextEncoder();

function branchCall(over: Partial<BranchCall> = {}): BranchCall {
  return {
    gid: 'g1',
    transType: 'saga',
    branchId: '01',
    op: 'action',
    url: '',
    protocol: 'http',
    payload: new Uint8Array(),
    headers: {},
    timeoutMs: 3_000,
    ...over,
  };
}

/** Routes by path: /s<status> answers that status; /body/<status> answers with ?text= as body. */
function routedHandler(req: { url: string }, res: Parameters<typeof reply>[0]): void {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] === 'body') return reply(res, Number(parts[1]), url.searchParams.get('text') ?? '');
  if (parts[0]?.startsWith('s') === true) return reply(res, Number(parts[0].slice(1)), `status ${parts[0].slice(1)}`);
  return reply(res, 200, '{"dtm_result":"SUCCESS"}');
}

describe('HttpInvoker (HTTP branches)', () => {
  let server: BranchServer;
  let invoker: HttpInvoker;

  beforeAll(async () => {
    server = await startBranchServer(routedHandler);
    invoker = new HttpInvoker();
  });
  afterAll(async () => {
    await invoker.close();
    await server.close();
  });
  afterEach(() => {
    server.requests.length = 0;
  });

  it('empty URL → SUCCESS without any request', async () => {
    const out = await invoker.call(branchCall({ url: '', payload: enc.encode('{"a":1}') }));
    expect(out.result).toBe('SUCCESS');
    expect(out.httpStatus).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });

  it('empty payload → GET with no body, content-type still sent, dtm query params in order', async () => {
    const out = await invoker.call(branchCall({ url: `${server.origin}/api/trans` }));
    expect(out).toEqual({ result: 'SUCCESS', message: '{"dtm_result":"SUCCESS"}', httpStatus: 200 });
    const [req] = server.requests;
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe('/api/trans?branch_id=01&gid=g1&op=action&trans_type=saga');
    expect(req?.body.byteLength).toBe(0);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-length']).toBeUndefined();
    expect(req?.headers['transfer-encoding']).toBeUndefined();
  });

  it('non-empty payload → POST with the bytes verbatim', async () => {
    const payload = enc.encode('{"amount":30,  "note":"héllo ✓"}\n');
    await invoker.call(branchCall({ url: `${server.origin}/api/TransOut`, payload, op: 'compensate' }));
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/api/TransOut?branch_id=01&gid=g1&op=compensate&trans_type=saga');
    expect(Buffer.compare(req?.body ?? Buffer.alloc(0), Buffer.from(payload))).toBe(0);
    expect(req?.headers['content-length']).toBe(String(payload.byteLength));
  });

  it('forcePost (xa phase 2) → POST with an empty body', async () => {
    await invoker.call(branchCall({ url: `${server.origin}/xa`, transType: 'xa', op: 'commit', forcePost: true }));
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.body.byteLength).toBe(0);
  });

  it('keeps an existing query string and URL-encodes the added parameters', async () => {
    await invoker.call(
      branchCall({ url: `${server.origin}/q?x=1&y=a%20b`, gid: 'g 1/&=?+é', branchId: '01-02', op: 'msg', transType: 'msg' }),
    );
    expect(server.requests[0]?.url).toBe('/q?x=1&y=a%20b&branch_id=01-02&gid=g+1%2F%26%3D%3F%2B%C3%A9&op=msg&trans_type=msg');
  });

  it('sends branch_headers after the defaults; later wins, case-insensitively', async () => {
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Trace-Id': 'abc', Authorization: 'Bearer t' };
    await invoker.call(branchCall({ url: `${server.origin}/h`, headers, payload: enc.encode('x') }));
    const req = server.requests[0];
    expect(req?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req?.headers['x-trace-id']).toBe('abc');
    expect(req?.headers['authorization']).toBe('Bearer t');
    const contentTypes = (req?.rawHeaders ?? []).filter((_, i, all) => i % 2 === 0 && all[i]?.toLowerCase() === 'content-type');
    expect(contentTypes).toHaveLength(1);
  });

  describe('classification (spec §6.5)', () => {
    const cases: readonly [string, string, number, string][] = [
      ['/s200', 'SUCCESS', 200, 'status 200'],
      ['/s409', 'FAILURE', 409, 'status 409 FAILURE'],
      ['/s425', 'ONGOING', 425, 'status 425'],
      ['/s500', 'ERROR', 500, 'status 500'],
      ['/s201', 'ERROR', 201, 'status 201'],
      [`/body/200?text=${encodeURIComponent('{"dtm_result":"FAILURE"}')}`, 'FAILURE', 200, '{"dtm_result":"FAILURE"} FAILURE'],
      [`/body/200?text=${encodeURIComponent('{"dtm_result":"ONGOING"}')}`, 'ONGOING', 200, '{"dtm_result":"ONGOING"}'],
      ['/body/500?text=ONGOING+later', 'ONGOING', 500, 'ONGOING later'],
      ['/body/409?text=ONGOING+FAILURE', 'ONGOING', 409, 'ONGOING FAILURE'],
    ];
    for (const [path, result, status, message] of cases) {
      it(`${path} → ${result}`, async () => {
        const out = await invoker.call(branchCall({ url: `${server.origin}${path}` }));
        expect(out).toEqual({ result, httpStatus: status, message });
      });
    }

    it('204 → ERROR', async () => {
      const s = await startBranchServer((_req, res) => {
        res.writeHead(204);
        res.end();
      });
      try {
        expect(await invoker.call(branchCall({ url: `${s.origin}/x` }))).toEqual({ result: 'ERROR', httpStatus: 204, message: '' });
      } finally {
        await s.close();
      }
    });
  });

  it('a gRPC URL is not called over HTTP → ERROR', async () => {
    const out = await invoker.call(branchCall({ protocol: 'grpc', url: 'localhost:58081/busi.Busi/TransIn' }));
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain('localhost:58081/busi.Busi/TransIn');
  });

  it('an http trans with a non-http URL fails as ERROR (spec §6.1)', async () => {
    const out = await invoker.call(branchCall({ protocol: 'http', url: 'localhost:58081/busi.Busi/TransIn' }));
    expect(out.result).toBe('ERROR');
  });

  // undici (pipelining 1) waits one event-loop turn before reusing a socket that just answered,
  // so calls issued in the very same turn may open a second socket; never one per call.
  it('reuses one keep-alive connection for sequential calls', async () => {
    const s = await startBranchServer((_req, res) => reply(res, 200, 'ok'));
    try {
      for (let i = 0; i < 6; i += 1) {
        const out = await invoker.call(branchCall({ url: `${s.origin}/k`, payload: i % 2 === 0 ? enc.encode('{}') : new Uint8Array() }));
        expect(out.result).toBe('SUCCESS');
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(s.requests).toHaveLength(6);
      expect(s.connections()).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('back-to-back calls stay on a small set of pooled sockets', async () => {
    const s = await startBranchServer((_req, res) => reply(res, 200, 'ok'));
    try {
      for (let i = 0; i < 20; i += 1) await invoker.call(branchCall({ url: `${s.origin}/k` }));
      expect(s.requests).toHaveLength(20);
      expect(s.connections()).toBeLessThanOrEqual(2);
    } finally {
      await s.close();
    }
  });

  it('rejects a non-positive timeout (programmer error)', async () => {
    await expect(invoker.call(branchCall({ url: `${server.origin}/x`, timeoutMs: 0 }))).rejects.toThrow(RangeError);
  });
});

describe('HttpInvoker (failures of the transport)', () => {
  let invoker: HttpInvoker;
  beforeAll(() => {
    invoker = new HttpInvoker({ maxAnswerBytes: 1024 });
  });
  afterAll(async () => {
    await invoker.close();
  });

  it('a server that never answers → ERROR after the timeout, naming the URL', async () => {
    const s = await startBranchServer(() => undefined);
    try {
      const started = Date.now();
      const out = await invoker.call(branchCall({ url: `${s.origin}/hang`, timeoutMs: 300 }));
      const elapsed = Date.now() - started;
      expect(out.result).toBe('ERROR');
      expect(out.message).toContain(`${s.origin}/hang?branch_id=01`);
      expect(out.message).toMatch(/timeout after 300ms/);
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      await s.close();
    }
  });

  it('a body that stalls after the headers → ERROR after the timeout', async () => {
    const s = await startBranchServer((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('{"dtm_result":');
    });
    try {
      const out = await invoker.call(branchCall({ url: `${s.origin}/slow`, timeoutMs: 300 }));
      expect(out.result).toBe('ERROR');
      expect(out.message).toMatch(/timeout after 300ms/);
    } finally {
      await s.close();
    }
  });

  it('connection refused → ERROR naming the URL and the cause', async () => {
    const port = await refusedPort();
    const out = await invoker.call(branchCall({ url: `http://127.0.0.1:${port}/x`, payload: enc.encode('{}') }));
    expect(out.result).toBe('ERROR');
    expect(out.httpStatus).toBeUndefined();
    expect(out.message).toContain(`POST "http://127.0.0.1:${port}/x?branch_id=01`);
    expect(out.message).toContain('ECONNREFUSED');
  });

  it('an answer above maxAnswerBytes is classified by its status and first bytes, never re-called as an error', async () => {
    const s = await startBranchServer((req, res) => {
      if (req.url?.startsWith('/big-ok')) return reply(res, 200, 'x'.repeat(5_000_000));
      if (req.url?.startsWith('/big-fail')) return reply(res, 200, `{"dtm_result":"FAILURE"}${' '.repeat(5_000)}`);
      return reply(res, 409, 'y'.repeat(5_000));
    });
    try {
      const ok = await invoker.call(branchCall({ url: `${s.origin}/big-ok` }));
      expect(ok).toMatchObject({ result: 'SUCCESS', httpStatus: 200 });
      expect(ok.message.length).toBe(1024);
      expect((await invoker.call(branchCall({ url: `${s.origin}/big-fail` }))).result).toBe('FAILURE');
      expect((await invoker.call(branchCall({ url: `${s.origin}/big-409` }))).result).toBe('FAILURE');
      // the pooled connection of a cut answer is dropped, the next call still works
      expect((await invoker.call(branchCall({ url: `${s.origin}/big-ok` }))).result).toBe('SUCCESS');
    } finally {
      await s.close();
    }
  });
});
