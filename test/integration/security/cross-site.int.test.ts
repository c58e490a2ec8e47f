import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../../support/dtx-process.js';
import { gidOf, query, saga } from '../../support/dtm-client.js';

/**
 * Cross-site request forgery on the real process, without Auth.Tokens (dtm's default): a page of
 * another site that makes the operator's browser POST to dtx is refused 403 DTX_FORBIDDEN before
 * any route, nothing stored. Before the guard, such a submit was 200 SUCCESS. SDKs, curl and the
 * admin UI (same origin) are served as before.
 */
let dtx: DtxProcess;
beforeAll(async () => {
  dtx = await startDtx({ env: { HTTP_ALLOWED_HOSTS: 'dtx.example,*.corp.example' } });
});
afterAll(async () => {
  await dtx?.kill();
});

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** A request to dtx's port naming `host` in its Host header, as a browser whose DNS answered dtx's address sends it. */
function viaName(host: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: { code?: string; message?: string } }> {
  return viaNameOn(dtx.port, host, path, headers, body);
}

function viaNameOn(port: number, host: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: { code?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as { code?: string; message?: string } }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const submit = (gid: string, headers: Record<string, string>) =>
  fetch(`${dtx.api}/submit`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: JSON.stringify(saga(gid, [{ action: '', compensate: '' }])) });

describe('cross-site requests', () => {
  it.each<[string, Record<string, string>]>([
    ['Origin of another site', { origin: 'http://evil.example' }],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }],
    ['Sec-Fetch-Site same-site (another port of this host)', { 'sec-fetch-site': 'same-site' }],
  ])('a submit with %s is 403 DTX_FORBIDDEN, nothing stored', async (_what, headers) => {
    const gid = gidOf('csrf');
    const res = await submit(gid, headers);
    const body = (await res.json()) as { code: string; message: string };
    expect([res.status, body.code]).toEqual([403, 'DTX_FORBIDDEN']);
    expect(body.message).toMatch(/^cross-site request refused/);
    expect((await query(dtx.api, gid)).transaction).toBeNull();
  });

  it('a state-changing GET (resetCronTime) from another site is refused too; pages of the admin UI are not', async () => {
    const reset = await fetch(`${dtx.api}/resetCronTime`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(reset.status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${dtx.port}/`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).not.toBe(403);
  });

  it('serves SDKs and tools (neither header), the same origin, and a typed URL', async () => {
    expect((await submit(gidOf('plain'), {})).status).toBe(200);
    expect((await submit(gidOf('same'), { origin: `http://127.0.0.1:${dtx.port}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await fetch(`${dtx.api}/newGid`, { headers: { 'sec-fetch-site': 'none' } })).status).toBe(200);
  });
});

describe('DNS rebinding', () => {
  it('a rebound page\'s POST (Origin and Host agree on the hostile name) is 403 naming HttpAllowedHosts, nothing stored', async () => {
    const gid = gidOf('rebind');
    const host = `rebind.evil.example:${dtx.port}`;
    const res = await viaName(host, '/api/dtmsvr/submit', { origin: `http://${host}`, 'user-agent': BROWSER, 'content-type': 'text/plain' }, JSON.stringify(saga(gid, [{ action: '', compensate: '' }])));
    expect([res.status, res.json.code]).toEqual([403, 'DTX_FORBIDDEN']);
    expect(res.json.message).toMatch(/DNS rebinding.*HttpAllowedHosts/);
    expect((await query(dtx.api, gid)).transaction).toBeNull();
  });

  it('a rebound page\'s same-origin GET (no Origin) cannot read transactions', async () => {
    const res = await viaName(`rebind.evil.example:${dtx.port}`, '/api/dtmsvr/all', { 'user-agent': BROWSER });
    expect([res.status, res.json.code]).toEqual([403, 'DTX_FORBIDDEN']);
  });

  it('serves browsers naming an IP, localhost or an HttpAllowedHosts name', async () => {
    for (const host of [`127.0.0.1:${dtx.port}`, `localhost:${dtx.port}`, `dtx.example:${dtx.port}`, `ui.corp.example:${dtx.port}`]) {
      expect([host, (await viaName(host, '/api/dtmsvr/newGid', { 'user-agent': BROWSER, 'sec-fetch-site': 'same-origin' })).status]).toEqual([host, 200]);
    }
  });

  it('/api/ping answers whatever name a browser-like monitor uses', async () => {
    expect((await viaName(`monitor.example:${dtx.port}`, '/api/ping', { 'user-agent': BROWSER })).status).toBe(200);
  });

  it('SDKs may name dtx by any name (as with dtm), on loopback or all interfaces; browsers may not', async () => {
    expect((await viaName(`dtx.svc.cluster.local:${dtx.port}`, '/api/dtmsvr/newGid', { 'user-agent': 'Go-http-client/1.1' })).status).toBe(200);
    const wide = await startDtx({ env: { HTTP_HOST: '0.0.0.0' } });
    try {
      const call = (host: string, agent: string) => viaNameOn(wide.port, host, '/api/dtmsvr/newGid', { 'user-agent': agent });
      expect((await call(`dtx.svc.cluster.local:${wide.port}`, 'Go-http-client/1.1')).status).toBe(200);
      expect((await call(`rebind.evil.example:${wide.port}`, BROWSER)).status).toBe(403);
    } finally {
      await wide.kill();
    }
  });
});
