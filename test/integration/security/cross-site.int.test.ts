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
  dtx = await startDtx();
});
afterAll(async () => {
  await dtx?.kill();
});

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
