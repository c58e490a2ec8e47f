import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';

/**
 * The hot transaction routes (submit, prepare, abort, registerBranch) take a path around express
 * when the request is plain (Content-Length body); chunked bodies still go through express. Both
 * must give byte-identical answers: status, content type, body, and the same metrics.
 */
let dtx: DtxProcess;
let authed: DtxProcess;
beforeAll(async () => {
  [dtx, authed] = await Promise.all([startDtx({ env: { HTTP_MAX_BODY_BYTES: '4096' } }), startDtx({ env: { AUTH_TOKENS: 'fast-route-token-0123456789' } })]);
});
afterAll(async () => {
  await Promise.all([dtx?.kill(), authed?.kill()]);
});

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly length: string | undefined;
  readonly body: string;
}

/** POSTs `body` with a Content-Length (fast path) or chunked (express path). */
function send(api: string, route: string, body: string, chunked: boolean, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(`${api}/${route}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent: false, headers: { ...headers, ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(Buffer.byteLength(body)) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], length: res.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const saga = (gid: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ gid, trans_type: 'saga', steps: [{ action: '', compensate: '' }], payloads: ['{}'], wait_result: true, ...extra });

describe('fast transaction route', () => {
  it.each([
    ['submit', 'a valid saga', (n: string) => saga(`fast-${n}`)],
    ['submit', 'malformed JSON', () => '{"gid":'],
    ['submit', 'a JSON array', () => '[1]'],
    ['submit', 'a missing gid', () => JSON.stringify({ trans_type: 'saga' })],
    ['submit', 'an unknown trans_type', () => JSON.stringify({ gid: 'fx', trans_type: 'banana' })],
    ['submit', 'a body over HttpMaxBodyBytes', () => saga('big', { custom_data: 'x'.repeat(5000) })],
    ['prepare', 'a msg', (n: string) => JSON.stringify({ gid: `fastp-${n}`, trans_type: 'msg', steps: [{ action: '' }], payloads: ['{}'], query_prepared: 'http://127.0.0.1:1/q' })],
    ['abort', 'an unknown gid', (n: string) => JSON.stringify({ gid: `fasta-${n}`, trans_type: 'msg' })],
    ['registerBranch', 'a branch of an unknown gid', (n: string) => JSON.stringify({ gid: `fastr-${n}`, branch_id: '01', trans_type: 'tcc', data: '{}', confirm: 'http://127.0.0.1:1/c', cancel: 'http://127.0.0.1:1/x' })],
    ['registerBranch', 'a body that is not an object', () => '"x"'],
  ])('%s, %s: the same answer with and without express', async (route, _name, body) => {
    const fast = await send(dtx.api, route, body('1'), false);
    const slow = await send(dtx.api, route, body('2'), true);
    expect(fast.status).toBe(slow.status);
    expect(fast.type).toBe('application/json; charset=utf-8');
    expect(fast.type).toBe(slow.type);
    expect(fast.body.replaceAll('-1', '-N')).toBe(slow.body.replaceAll('-2', '-N'));
    expect(Number(fast.length)).toBe(Buffer.byteLength(fast.body));
  });

  it('counts fast-path calls in the request metrics like the express routes', async () => {
    const metrics = async () => (await (await fetch(`${dtx.api.replace(/\/api\/dtmsvr$/, '')}/api/metrics`)).text()).split('\n');
    const count = (lines: string[], status: string) =>
      Number(lines.find((l) => l.startsWith(`dtm_server_process_total{type="http",api="submit",status="${status}"}`))?.split(' ')[1] ?? 0);
    const before = await metrics();
    await send(dtx.api, 'submit', saga('fast-metrics'), false);
    await send(dtx.api, 'submit', '{', false);
    const after = await metrics();
    expect(count(after, 'ok') - count(before, 'ok')).toBe(1);
    expect(count(after, 'fail') - count(before, 'fail')).toBe(1);
  });

  it('with Auth.Tokens: no token is 401 (express answers it), the right token passes the fast path', async () => {
    const none = await send(authed.api, 'submit', saga('fast-auth-1'), false);
    expect(none.status).toBe(401);
    const wrong = await send(authed.api, 'submit', saga('fast-auth-2'), false, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const right = await send(authed.api, 'submit', saga('fast-auth-3'), false, { authorization: 'Bearer fast-route-token-0123456789' });
    expect(right).toMatchObject({ status: 200, body: '{"dtm_result":"SUCCESS"}' });
  });
});
