import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, post, query, saga } from '../support/dtm-client.js';

/** Bad input gets a 4xx naming the problem, never a 500 or a crash (issue: foundation §9). */
let dtx: DtxProcess;
beforeAll(async () => {
  dtx = await startDtx({ env: { HTTP_MAX_BODY_BYTES: '4096' } });
});
afterAll(async () => {
  await dtx?.kill();
});

const one = [{ action: '', compensate: '' }];

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"gid":"x",', 400, /not valid JSON/],
    ['a JSON array', '[1,2]', 400, /must be a JSON object/],
    ['empty body', '', 400, /body is empty/],
    ['missing gid', JSON.stringify({ trans_type: 'saga', steps: one, payloads: ['{}'] }), 400, /^gid is required$/],
    ['missing trans_type', JSON.stringify({ gid: 'x1', steps: one, payloads: ['{}'] }), 400, /^trans_type is required$/],
    ['gid of the wrong type', JSON.stringify({ gid: 5, trans_type: 'saga' }), 400, /^gid: /],
    ['timeout_to_fail as a string', JSON.stringify({ gid: 'x2', trans_type: 'saga', steps: one, payloads: ['{}'], timeout_to_fail: '10' }), 400, /timeout_to_fail/],
    ['negative retry_interval', JSON.stringify({ gid: 'x3', trans_type: 'saga', steps: one, payloads: ['{}'], retry_interval: -1 }), 400, /retry_interval/],
    ['steps not an array', JSON.stringify({ gid: 'x4', trans_type: 'saga', steps: 'x', payloads: [] }), 400, /steps/],
    ['unknown trans_type', JSON.stringify({ gid: 'x5', trans_type: 'banana' }), 400, /unknow trans type: banana/],
    ['a workflow submit without an end', JSON.stringify({ gid: 'x6', trans_type: 'workflow' }), 400, /^req_extra\.status: a workflow submit needs req_extra/],
    ['a workflow end that is not succeed or failed', JSON.stringify({ gid: 'x6', trans_type: 'workflow', req_extra: { status: 'done' } }), 400, /^req_extra\.status: must be succeed or failed$/],
    ['req_extra not an object of strings', JSON.stringify({ gid: 'x6', trans_type: 'workflow', req_extra: { status: 1 } }), 400, /^req_extra\.status: expected a string$/],
    ['payloads shorter than steps', JSON.stringify({ gid: 'x7', trans_type: 'saga', steps: [...one, ...one], payloads: ['{}'] }), 400, /payloads has 1 entries but steps has 2/],
    ['bad saga orders', JSON.stringify({ gid: 'x8', trans_type: 'saga', steps: one, payloads: ['{}'], custom_data: '{"orders":{"5":[0]}}' }), 400, /custom_data.orders/],
    ['custom_data not JSON', JSON.stringify({ gid: 'x9', trans_type: 'msg', steps: one, payloads: ['{}'], custom_data: '{' }), 400, /custom_data/],
  ])('%s → %i', async (_name, body, status, message) => {
    const r = await post(dtx.api, 'submit', body);
    expect(r.status).toBe(status);
    expect(String(r.body.message)).toMatch(message);
    expect(r.text).not.toContain('SUCCESS');
  });

  it('an oversize body is 413 naming the limit', async () => {
    const r = await post(dtx.api, 'submit', saga(gidOf('big'), one, { payloads: ['x'.repeat(10_000)] }));
    expect(r.status).toBe(413);
    expect(r.body.message).toBe('request body exceeds HttpMaxBodyBytes (4096 bytes)');
  });

  it('the same gid with a different body is refused with 409 DTX_DUPLICATE_GID', async () => {
    const gid = gidOf('dup');
    expect((await post(dtx.api, 'prepare', { gid, trans_type: 'msg', steps: [{ action: '' }], payloads: ['{"a":1}'] })).status).toBe(200);
    const r = await post(dtx.api, 'submit', { gid, trans_type: 'msg', steps: [{ action: '' }], payloads: ['{"a":2}'] });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('DTX_DUPLICATE_GID');
    const otherType = await post(dtx.api, 'submit', saga(gid, one));
    expect(otherType.status).toBe(409);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('prepared');
  });

  it('forceStop and resetNextCronTime need a string gid', async () => {
    expect((await post(dtx.api, 'forceStop', {})).status).toBe(400);
    expect((await post(dtx.api, 'resetNextCronTime', { gid: 7 })).status).toBe(400);
  });

  it('HEAD and OPTIONS of a GET route are answered as such, not as a POST without a body; a path that does not decode names the path', async () => {
    const head = await fetch(`${dtx.api}/query?gid=none`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const options = await fetch(`${dtx.api}/query?gid=none`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([200, 'GET, HEAD']);
    const path = await fetch(`${dtx.api}/topic/%ZZ`, { method: 'DELETE' });
    expect([path.status, await path.json()]).toEqual([400, { message: "URL path: Failed to decode param '%ZZ'", code: 'DTX_BAD_REQUEST' }]);
  });

  it.each([
    ['a request line and headers over 16 KiB', `GET /api/dtmsvr/all?gid=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: dtx\r\n\r\n`, 431, 'DTX_HEADERS_TOO_LARGE', /^request line and headers exceed 16384 bytes$/],
    ['an unknown HTTP method', 'BREW /api/ping HTTP/1.1\r\nHost: dtx\r\n\r\n', 400, 'DTX_BAD_REQUEST', /^malformed HTTP request: Invalid method/],
    ['Content-Length beside chunked', 'POST /api/dtmsvr/submit HTTP/1.1\r\nHost: dtx\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}', 400, 'DTX_BAD_REQUEST', /^malformed HTTP request: /],
  ])('%s: refused by the HTTP parser, answered with a JSON error naming the problem', async (_name, raw, status, code, message) => {
    const answer = await rawExchange(dtx.port, raw);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toMatch(/\r\nContent-Type: application\/json/i);
    expect(JSON.parse(body!)).toEqual({ message: expect.stringMatching(message), code });
  });

  it('the process survived every bad request', async () => {
    expect(dtx.proc.exitCode).toBeNull();
    expect(dtx.logs.some((l) => l.includes('"level":50') || l.includes('"level":60'))).toBe(false);
  });
});

/** Writes `raw` on a new connection and collects everything until dtx closes it. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    // the request's last bytes can reach a socket dtx already closed: a reset after the answer
    socket.on('error', (err) => (answer === '' ? reject(err) : resolve(answer)));
    socket.write(raw);
  });
}
