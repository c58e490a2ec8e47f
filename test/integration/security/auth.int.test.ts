import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../../support/dtx-process.js';
import { gidOf, saga } from '../../support/dtm-client.js';

/** Bearer-token auth of the API (Auth.Tokens, docs/security.md). The Go SDK's side: test/interop. */
const TOKEN = 'test-token-0123456789abcdef';
const OTHER = 'other-token-0123456789abcdef';
const one = [{ action: '', compensate: '' }];

let dtx: DtxProcess;
let open: DtxProcess;
beforeAll(async () => {
  [dtx, open] = await Promise.all([startDtx({ env: { AUTH_TOKENS: `${TOKEN},${OTHER}` } }), startDtx({ env: { AUTH_TOKENS: TOKEN, AUTH_PUBLIC_METRICS: 'true' } })]);
});
afterAll(async () => {
  await Promise.all([dtx?.kill(), open?.kill()]);
});

const call = (base: string, path: string, init: RequestInit = {}, token?: string) =>
  fetch(`${base}${path}`, { ...init, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });
const origin = (d: DtxProcess) => `http://127.0.0.1:${d.port}`;

describe('Auth.Tokens', () => {
  it('refuses the API without a token: 401, WWW-Authenticate, DTX_UNAUTHORIZED', async () => {
    const r = await call(origin(dtx), '/api/dtmsvr/submit', { method: 'POST', body: JSON.stringify(saga(gidOf('noauth'), one)) });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="dtx"');
    expect(await r.json()).toEqual({ message: 'authentication required: send Authorization: Bearer <token>', code: 'DTX_UNAUTHORIZED' });
  });

  it('refuses a wrong token and a malformed header', async () => {
    const wrong = await call(origin(dtx), '/api/dtmsvr/newGid', {}, 'wrong-token-0123456789abcdef');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('invalid bearer token');
    const basic = await fetch(`${origin(dtx)}/api/dtmsvr/newGid`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
  });

  it('accepts every configured token; transactions run', async () => {
    for (const token of [TOKEN, OTHER]) {
      const gid = gidOf('auth');
      const r = await fetch(`${origin(dtx)}/api/dtmsvr/submit`, { method: 'POST', headers: { authorization: `bearer ${token}` }, body: JSON.stringify(saga(gid, one)) });
      expect(r.status).toBe(200);
      const q = await call(origin(dtx), `/api/dtmsvr/query?gid=${gid}`, {}, token);
      expect(((await q.json()) as { transaction: { status: string } }).transaction.status).toBe('succeed');
    }
  });

  it('protects the listing, history and metrics; ping and the admin UI page stay open', async () => {
    for (const path of ['/api/dtmsvr/all', '/api/dtx/history?gid=x', '/api/metrics', '/api/dtmsvr/version']) {
      expect((await call(origin(dtx), path)).status, path).toBe(401);
    }
    expect((await call(origin(dtx), '/api/ping')).status).toBe(200);
    expect((await call(origin(dtx), '/')).status).toBe(200);
    expect((await call(origin(dtx), '/api/metrics', {}, TOKEN)).status).toBe(200);
  });

  it('Auth.PublicMetrics opens /api/metrics only', async () => {
    expect((await call(origin(open), '/api/metrics')).status).toBe(200);
    expect((await call(origin(open), '/api/dtmsvr/all')).status).toBe(401);
  });

  it('warns at start when no token is configured, and not when one is', async () => {
    const plain = await startDtx();
    try {
      expect(plain.logs.some((l) => l.includes('no Auth.Tokens configured'))).toBe(true);
      expect(dtx.logs.some((l) => l.includes('no Auth.Tokens configured'))).toBe(false);
    } finally {
      await plain.kill();
    }
  });
});
