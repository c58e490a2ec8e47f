import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { get, gidOf, post, query } from '../support/dtm-client.js';

/**
 * MaxOpenPayloadBytes (hardening issue): unfinished transactions have a memory bound. Beyond it new
 * prepares get a retryable 503; nothing acknowledged is dropped, also across a SIGKILL.
 */
const CAP = 32 * 1024 * 1024;
const PAYLOAD = 'p'.repeat(900 * 1024);
let dtx: DtxProcess;
beforeAll(async () => {
  dtx = await startDtx({ env: { MAX_OPEN_PAYLOAD_BYTES: String(CAP), HTTP_MAX_BODY_BYTES: String(2 * 1024 * 1024) } });
});
afterAll(async () => {
  await dtx?.kill();
});

const prepare = (gid: string) => post(dtx.api, 'prepare', { gid, trans_type: 'msg', steps: [{ action: '' }], payloads: [PAYLOAD], timeout_to_fail: 3600 });
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const metric = async (name: string) => Number((await get(`http://127.0.0.1:${dtx.port}/api`, 'metrics')).text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);

describe('MaxOpenPayloadBytes', () => {
  it('refuses new transactions with a retryable 503 beyond the cap and keeps every acknowledged one', { timeout: 120_000 }, async () => {
    const rssBefore = rssMiB(dtx.proc.pid!);
    const accepted: string[] = [];
    let refused = 0;
    for (let i = 0; i < 150; i += 1) {
      const gid = gidOf('big');
      const r = await prepare(gid);
      if (r.status === 200) accepted.push(gid);
      else {
        expect(r.status).toBe(503);
        expect(r.body.code).toBe('DTX_OVERLOADED');
        expect(String(r.body.message)).toContain('MaxOpenPayloadBytes');
        refused += 1;
      }
    }
    const rssAfter = rssMiB(dtx.proc.pid!);
    process.stderr.write(`payload budget: ${accepted.length} accepted, ${refused} refused; open payload ${await metric('dtx_open_payload_bytes')} bytes; RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB\n`);
    // each holds about 1.2 MB (base64): about 27 fit under 32 MiB
    expect(accepted.length).toBeGreaterThan(20);
    expect(accepted.length).toBeLessThan(30);
    expect(refused).toBe(150 - accepted.length);
    expect(await metric('dtx_open_payload_bytes')).toBeLessThanOrEqual(CAP);

    // finishing transactions frees room
    for (const gid of accepted.splice(0, 3)) expect((await post(dtx.api, 'forceStop', { gid })).status).toBe(200);
    const again = gidOf('again');
    expect((await prepare(again)).status).toBe(200);
    accepted.push(again);

    // nothing acknowledged is dropped: a restart holds them all, even above the cap if it must
    await dtx.kill('SIGKILL');
    dtx = await startDtx({ dataDir: dtx.dataDir, env: { MAX_OPEN_PAYLOAD_BYTES: String(CAP), HTTP_MAX_BODY_BYTES: String(2 * 1024 * 1024) } });
    for (const gid of accepted) expect((await query(dtx.api, gid)).transaction?.status, gid).toBe('prepared');
    expect(await metric('dtx_live_transactions')).toBe(accepted.length);
  });
});
