import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { get, post, query } from '../support/dtm-client.js';
import { FuzzBranchService } from './fuzz-branch-service.js';

/**
 * Fixed regression cases of the hardening issue's input findings, against the real process: each
 * hostile input is refused with 400 / DTX_BAD_REQUEST naming the field, nothing is stored and no
 * branch is called. Bodies are raw JSON text, so that what is sent is exactly what is written.
 */
let dtx: DtxProcess;
let branches: FuzzBranchService;
beforeAll(async () => {
  [dtx, branches] = await Promise.all([startDtx(), FuzzBranchService.start()]);
});
afterAll(async () => {
  await Promise.all([dtx?.kill(), branches?.close()]);
});

const hang = () => branches.url('/hang');
const saga = (gid: string, extra: string, url = hang()) =>
  `{"gid":"${gid}","trans_type":"saga","steps":[{"action":"${url}","compensate":"${url}"}],"payloads":["{}"]${extra}}`;
const msg = (gid: string, extra: string) => `{"gid":"${gid}","trans_type":"msg","steps":[{"action":"${hang()}"}],"payloads":["{}"],"query_prepared":"${hang()}"${extra}}`;

interface Refusal {
  readonly route: 'prepare' | 'submit';
  readonly gid: string;
  readonly body: () => string;
  readonly message: RegExp;
}

const REFUSALS: ReadonlyArray<[string, Refusal]> = [
  ['saga retry_interval 8640000000000 with a hanging branch', { route: 'submit', gid: 'ri-date', body: () => saga('ri-date', ',"retry_interval":8640000000000'), message: /^retry_interval: must be an integer 0\.\.86400 \(seconds\)$/ }],
  ['retry_interval near the largest JS date (8639999999999)', { route: 'submit', gid: 'ri-near', body: () => saga('ri-near', ',"retry_interval":8639999999999'), message: /^retry_interval: must be an integer 0\.\.86400/ }],
  ['retry_interval one above the bound', { route: 'submit', gid: 'ri-86401', body: () => saga('ri-86401', ',"retry_interval":86401'), message: /^retry_interval: / }],
  ['msg prepare timeout_to_fail 9007199254740991', { route: 'prepare', gid: 'ttf-max', body: () => msg('ttf-max', ',"timeout_to_fail":9007199254740991'), message: /^timeout_to_fail: must be an integer 0\.\.31536000 \(seconds\)$/ }],
  ['msg submit custom_data {"delay":1e300}', { route: 'submit', gid: 'delay-1e300', body: () => msg('delay-1e300', ',"custom_data":"{\\"delay\\":1e300}"'), message: /^custom_data\.delay must be an integer 0\.\.31536000 \(seconds\)$/ }],
  ['msg submit custom_data {"Delay":-1} (key in another case)', { route: 'submit', gid: 'delay-neg', body: () => msg('delay-neg', ',"custom_data":"{\\"Delay\\":-1}"'), message: /^custom_data\.delay must be an integer/ }],
  ['a gid with a lone surrogate', { route: 'submit', gid: 'lone\ud800x', body: () => saga('lone\\ud800x', ''), message: /^gid: must be 1-128 characters of valid Unicode without control or format characters$/ }],
  ['a gid with an ESC sequence', { route: 'submit', gid: 'esc\u001b[31mred', body: () => saga('esc\\u001b[31mred', ''), message: /^gid: must be 1-128 characters/ }],
  ['a gid with NUL and DEL', { route: 'prepare', gid: 'nul\u0000del\u007f', body: () => saga('nul\\u0000del\\u007f', ''), message: /^gid: / }],
  ['a gid with a C1 control (CSI)', { route: 'prepare', gid: 'c1\u009bx', body: () => saga('c1\\u009bx', ''), message: /^gid: / }],
  ['a gid with a bidi override', { route: 'submit', gid: 'bidi\u202ex', body: () => saga('bidi\\u202ex', ''), message: /^gid: / }],
  ['a gid of 129 characters', { route: 'submit', gid: 'g'.repeat(129), body: () => saga('g'.repeat(129), ''), message: /^gid: must be 1-128 characters/ }],
  ['concurrent saga orders with a cycle', { route: 'submit', gid: 'cycle', body: () => `{"gid":"cycle","trans_type":"saga","steps":[{"action":"${hang()}"},{"action":"${hang()}"}],"payloads":["{}","{}"],"custom_data":"{\\"concurrent\\":true,\\"orders\\":{\\"0\\":[1],\\"1\\":[0]}}"}`, message: /^custom_data\.orders has a cycle \((0 -> 1 -> 0|1 -> 0 -> 1)\): no step of it could ever start$/ }],
  ['saga orders naming a step out of range', { route: 'submit', gid: 'orders-range', body: () => saga('orders-range', ',"custom_data":"{\\"orders\\":{\\"0\\":[7]}}"'), message: /^custom_data\.orders\['0'\] must list other step indexes/ }],
  ['a file: branch URL', { route: 'submit', gid: 'url-file', body: () => saga('url-file', '', 'file:///etc/passwd'), message: /^steps\.0\.action: scheme 'file:' cannot be called: use http:\/\/ or https:\/\// }],
  ['a javascript: branch URL', { route: 'submit', gid: 'url-js', body: () => saga('url-js', '', 'javascript:alert(1)'), message: /^steps\.0\.action: scheme 'javascript:' cannot be called/ }],
  ['a gopher: branch URL', { route: 'submit', gid: 'url-gopher', body: () => saga('url-gopher', '', 'gopher://127.0.0.1:70/_x'), message: /^steps\.0\.action: scheme 'gopher:' cannot be called/ }],
  ['a relative branch path', { route: 'submit', gid: 'url-rel', body: () => saga('url-rel', '', '/relative/path'), message: /^steps\.0\.action: '\/relative\/path' is not an absolute URL/ }],
  ['a host:port branch path without a scheme', { route: 'submit', gid: 'url-hostport', body: () => saga('url-hostport', '', '127.0.0.1:8080/a'), message: /^steps\.0\.action: .*not an absolute URL/ }],
  ['a branch URL with user:pass@', { route: 'submit', gid: 'url-cred', body: () => saga('url-cred', '', 'http://user:pass@127.0.0.1:9/x'), message: /^steps\.0\.action: must not carry credentials/ }],
  ['a branch URL that points at dtx itself', { route: 'submit', gid: 'url-self', body: () => saga('url-self', '', `http://0.0.0.0:${dtx.port}/api/ping`), message: /^steps\.0\.action: .*dtx's own API/ }],
  ['branch_headers with an invalid name', { route: 'submit', gid: 'hdr-name', body: () => saga('hdr-name', ',"branch_headers":{"bad name":"v"}'), message: /^branch_headers\.bad name: header name must be 1-128 token characters$/ }],
  ['branch_headers with CRLF in a value', { route: 'submit', gid: 'hdr-crlf', body: () => saga('hdr-crlf', ',"branch_headers":{"x-a":"v\\r\\nInjected: 1"}'), message: /^branch_headers\.x-a: header value must not contain CR, LF/ }],
  ['branch_headers with host', { route: 'submit', gid: 'hdr-host', body: () => saga('hdr-host', ',"branch_headers":{"Host":"evil.invalid"}'), message: /^branch_headers\.Host: header 'Host' is set by dtx itself/ }],
  ['branch_headers with connection', { route: 'submit', gid: 'hdr-conn', body: () => saga('hdr-conn', ',"branch_headers":{"connection":"close"}'), message: /^branch_headers\.connection: header 'connection' is set by dtx itself/ }],
  ['branch_headers with transfer-encoding', { route: 'submit', gid: 'hdr-te', body: () => saga('hdr-te', ',"branch_headers":{"transfer-encoding":"chunked"}'), message: /^branch_headers\.transfer-encoding: / }],
  ['request_timeout 2147484 s (Node timers overflow)', { route: 'submit', gid: 'rt-overflow', body: () => saga('rt-overflow', ',"request_timeout":2147484'), message: /^request_timeout: must be an integer 0\.\.86400 \(seconds\)$/ }],
  ['request_timeout 2147483647 s', { route: 'prepare', gid: 'rt-int32', body: () => saga('rt-int32', ',"request_timeout":2147483647'), message: /^request_timeout: / }],
  ['request_timeout 1e300', { route: 'submit', gid: 'rt-1e300', body: () => saga('rt-1e300', ',"request_timeout":1e300'), message: /^request_timeout: / }],
];

describe('hardening: hostile inputs are refused with 400 naming the field', () => {
  it.each(REFUSALS)('%s', async (_name, c) => {
    const r = await post(dtx.api, c.route, c.body());
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'DTX_BAD_REQUEST' });
    expect(String(r.body.message)).toMatch(c.message);
    // nothing stored: the gid is unknown (a gid dtx cannot hold is itself refused by query)
    const q = await get(dtx.api, `query?gid=${encodeURIComponent(c.gid.replace(/[\ud800-\udfff]/g, '\ufffd'))}`);
    expect(q.status === 400 || (q.status === 200 && q.body.transaction === null)).toBe(true);
  });

  it('a gid with an ESC sequence is refused in query strings too', async () => {
    const r = await get(dtx.api, 'query?gid=esc%1B%5B31mred');
    expect(r.status).toBe(400);
    expect(String(r.body.message)).toMatch(/^gid: must be 1-128 characters/);
  });

  it('GET /api/dtmsvr/all?position=abc is 400 naming position', async () => {
    const r = await get(dtx.api, 'all?position=abc');
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'DTX_BAD_REQUEST' });
    expect(String(r.body.message)).toMatch(/position/);
  });

  it('no refused transaction reached a branch, and dtx logged no error', async () => {
    expect(branches.server.calls).toEqual([]);
    expect((await query(dtx.api, 'ri-date')).transaction).toBeNull();
    expect(dtx.proc.exitCode).toBeNull();
    expect(dtx.logs.filter((l) => /"level":(5|6)\d/.test(l))).toEqual([]);
  });
});
