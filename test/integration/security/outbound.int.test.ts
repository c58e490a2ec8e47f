import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../../support/dtx-process.js';
import { BranchServer, ERROR500 } from '../../support/branch-server.js';
import { get, gidOf, post, saga, waitFor, waitStatus } from '../../support/dtm-client.js';
import { dtmClient, dtmRequest, unary } from '../../support/dtm-grpc-client.js';

/** The outbound policy (Invoker.Allow, docs/security.md): at submit and again at call time. */
let allowed: BranchServer;
let other: BranchServer;
let fenced: DtxProcess;
let open: DtxProcess;
beforeAll(async () => {
  [allowed, other] = await Promise.all([BranchServer.start(), BranchServer.start()]);
  [fenced, open] = await Promise.all([
    startDtx({ env: { INVOKER_ALLOW: `127.0.0.1:${allowed.port},*.branches.test` } }),
    startDtx({ env: { INVOKER_FORWARD_CREDENTIALS: 'false' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([fenced?.kill(), open?.kill(), allowed?.close(), other?.close()]);
});

const step = (action: string) => [{ action, compensate: '' }];

describe('Invoker.Allow at submit', () => {
  it('refuses a branch outside the list with a 400 naming the field, and calls nothing', async () => {
    const r = await post(fenced.api, 'submit', saga(gidOf('out'), [{ action: allowed.url('/a'), compensate: other.url('/c') }]));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(`steps.0.compensate: 127.0.0.1 (127.0.0.1) is not in Invoker.Allow`);
    expect(allowed.calls.length + other.calls.length).toBe(0);
  });

  it('runs a saga whose branches are inside the list', async () => {
    const gid = gidOf('in');
    expect((await post(fenced.api, 'submit', saga(gid, step(allowed.url('/in'))))).status).toBe(200);
    await waitStatus(fenced.api, gid, 'succeed');
    expect(allowed.callsTo('/in', gid)).toHaveLength(1);
  });

  it('refuses a host name it cannot resolve into the list', async () => {
    const r = await post(fenced.api, 'submit', saga(gidOf('name'), step('http://nowhere.invalid/x')));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('steps.0.action: nowhere.invalid is not in Invoker.Allow');
  });

  it('refuses cloud metadata addresses and dtx itself even without a list', async () => {
    const metadata = await post(open.api, 'submit', saga(gidOf('md'), step('http://169.254.169.254/latest/meta-data/')));
    expect(metadata.status).toBe(400);
    expect(metadata.body.message).toMatch(/^steps\.0\.action: 169\.254\.169\.254 .*metadata address/);
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const self = await post(open.api, 'submit', saga(gidOf('self'), step(`http://${host}:${open.port}/api/dtmsvr/forceStop`)));
      expect(self.status, host).toBe(400);
      expect(self.body.message).toContain("is dtx's own API; dtx never calls itself");
    }
    const query = await post(open.api, 'prepare', { gid: gidOf('qp'), trans_type: 'msg', steps: step(''), payloads: ['{}'], query_prepared: `http://127.0.0.1:${open.port}/api/ping` });
    expect(query.status).toBe(400);
    expect(query.body.message).toMatch(/^query_prepared: /);
  });
});

describe('gRPC branch targets at submit (the gRPC ingress)', () => {
  it('refuses the targets grpc-js would dial past the checks: literal-address schemes, odd ports, no port', async () => {
    const client = dtmClient(`127.0.0.1:${open.grpcPort}`);
    try {
      const cases: Array<[string, RegExp]> = [
        [`ipv4:127.0.0.1:${open.grpcPort}/dtmgimp.Dtm/Abort`, /scheme ipv4: is not accepted/],
        [`ipv6:[::1]:${open.grpcPort}/dtmgimp.Dtm/Abort`, /scheme ipv6: is not accepted/],
        ['unix:dtx.sock/p.S/M', /scheme unix: is not accepted/],
        ['unix:///tmp/dtx.sock/p.S/M', /custom scheme/],
        [`127.0.0.1:0${open.grpcPort}/dtmgimp.Dtm/Abort`, /is dtx's own API/],
        [`localhost:${open.grpcPort}/dtmgimp.Dtm/Abort`, /is dtx's own API/],
        ['169.254.169.254/p.S/M', /metadata address/],
        ['dns:///169.254.169.254:80/p.S/M', /metadata address/],
      ];
      for (const [action, reason] of cases) {
        const r = await unary(client, 'Submit', dtmRequest(gidOf('gt'), 'saga', [{ action, compensate: '' }], ['p']));
        expect([r.code, r.details], action).toEqual([3, expect.stringMatching(reason)]);
        expect(r.details, action).toMatch(/^steps\.0\.action: /);
      }
    } finally {
      client.close();
    }
  });
});

describe('branch_headers', () => {
  it.each([
    [{ Host: 'internal' }, 'branch_headers.Host: header \'Host\' is set by dtx itself and cannot be forwarded'],
    [{ Connection: 'close' }, 'branch_headers.Connection: header \'Connection\' is set by dtx itself and cannot be forwarded'],
    [{ 'Transfer-Encoding': 'chunked' }, "branch_headers.Transfer-Encoding: header 'Transfer-Encoding' is set by dtx itself and cannot be forwarded"],
    [{ 'X-A': 'a\r\nX-Injected: 1' }, 'branch_headers.X-A: header value must not contain CR, LF or other control characters'],
    [{ 'bad name': 'x' }, 'branch_headers.bad name: header name must be 1-128 token characters'],
    [{ Authorization: 'Bearer s3cret' }, "branch_headers.Authorization: header 'Authorization' carries credentials and Invoker.ForwardCredentials is false"],
  ])('%j is refused with a 400', async (headers, message) => {
    const r = await post(open.api, 'submit', saga(gidOf('hdr'), step(allowed.url('/h')), { branch_headers: headers }));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(message);
  });

  it('forwards valid headers, credentials included by default (dtm does)', async () => {
    const gid = gidOf('fwd');
    const r = await post(fenced.api, 'submit', saga(gid, step(allowed.url('/fwd')), { branch_headers: { 'X-Trace': 't-1', Authorization: 'Bearer for-the-branch' } }));
    expect(r.status).toBe(200);
    await waitStatus(fenced.api, gid, 'succeed');
    const [c] = allowed.callsTo('/fwd', gid);
    expect(c?.headers['x-trace']).toBe('t-1');
    expect(c?.headers.authorization).toBe('Bearer for-the-branch');
    expect(c?.headers.host).toBe(`127.0.0.1:${allowed.port}`);
  });
});

describe('Invoker.Allow at call time', () => {
  it('a branch allowed when submitted but not any more after a restart is never called again', async () => {
    const dir = tempDir();
    other.on('/later', ERROR500);
    const first = await startDtx({ dataDir: dir });
    const gid = gidOf('later');
    try {
      expect((await post(first.api, 'submit', saga(gid, step(other.url('/later')), { retry_interval: 1 }))).status).toBe(200);
      await waitFor(async () => other.callsTo('/later', gid).length, (n) => n >= 1, 10_000, 'the first call');
    } finally {
      await first.kill('SIGKILL');
    }
    const before = other.callsTo('/later', gid).length;
    const second = await startDtx({ dataDir: dir, env: { INVOKER_ALLOW: `127.0.0.1:${allowed.port}` } });
    try {
      const history = await waitFor(
        async () => (await get(`http://127.0.0.1:${second.port}/api/dtx`, `history?gid=${gid}`)).body as { timeline?: Array<{ event: string; message?: string }> },
        (h) => (h.timeline ?? []).some((e) => e.event === 'BranchErrored' && (e.message ?? '').includes('is not in Invoker.Allow')),
        20_000,
        'a refused call recorded as BranchErrored',
      );
      expect(history.timeline!.filter((e) => e.event === 'BranchErrored').length).toBeGreaterThan(0);
      expect(other.callsTo('/later', gid).length).toBe(before);
      expect((await post(second.api, 'forceStop', { gid })).status).toBe(200);
    } finally {
      await second.kill();
    }
  });
});
