import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { get, post, query, waitFor, waitStatus } from '../support/dtm-client.js';
import { FuzzBranchService, HUGE_BYTES } from './fuzz-branch-service.js';

/**
 * Fixed regression cases of the hardening issue that are accepted: values at the bounds and odd
 * branch answers give transactions that finish (or are ended by forceStop) and replay from their
 * events; plus the findings of the fuzz itself (F1), which fail until src/ is fixed.
 */
let dtx: DtxProcess;
let branches: FuzzBranchService;
beforeAll(async () => {
  [dtx, branches] = await Promise.all([startDtx(), FuzzBranchService.start()]);
});
afterAll(async () => {
  await Promise.all([dtx?.kill(), branches?.close()]);
});

async function verified(gid: string, status: string): Promise<void> {
  const h = await get(`http://127.0.0.1:${dtx.port}/api/dtx`, `history?gid=${encodeURIComponent(gid)}`);
  expect({ status: h.status, verified: h.body.verified, replayed: h.body.replayed_status }).toEqual({ status: 200, verified: true, replayed: status });
}

async function forceStopped(gid: string): Promise<void> {
  expect((await post(dtx.api, 'forceStop', { gid })).status).toBe(200);
  expect((await query(dtx.api, gid)).transaction?.status).toBe('failed');
  await verified(gid, 'failed');
}

const actionCalls = (gid: string, path: string) => branches.callsOf(gid).filter((c) => c.path === path && c.query.op === 'action');

describe('hardening: accepted edge values finish or are ended, and replay', () => {
  it('a branch answering 200 with a 5 MB body succeeds, its action called exactly once', async () => {
    const gid = 'huge-answer';
    const steps = [{ action: branches.url('/huge'), compensate: branches.url('/ok') }, { action: branches.url('/ok'), compensate: branches.url('/ok') }];
    expect((await post(dtx.api, 'submit', { gid, trans_type: 'saga', steps, payloads: ['{}', '{}'], retry_interval: 1 })).status).toBe(200);
    await waitStatus(dtx.api, gid, 'succeed');
    expect(HUGE_BYTES).toBeGreaterThan(4 * 1024 * 1024); // beyond Invoker.MaxAnswerBytes (4 MiB): the answer was cut
    expect(actionCalls(gid, '/huge')).toHaveLength(1);
    expect(actionCalls(gid, '/ok')).toHaveLength(1);
    expect(branches.callsOf(gid).filter((c) => c.query.op === 'compensate')).toEqual([]);
    await verified(gid, 'succeed');
  });

  it('a msg whose action answers 5 MB succeeds with wait_result, the action called once', async () => {
    const gid = 'huge-msg';
    const r = await post(dtx.api, 'submit', { gid, trans_type: 'msg', steps: [{ action: branches.url('/huge') }], payloads: ['{}'], query_prepared: branches.url('/qp-ok'), wait_result: true });
    expect(r.body).toEqual({ dtm_result: 'SUCCESS' });
    expect((await query(dtx.api, gid)).transaction?.status).toBe('succeed');
    expect(actionCalls(gid, '/huge')).toHaveLength(1);
    await verified(gid, 'succeed');
  });

  it('retry_interval at its bound (86400 s) with a hanging branch: retried a day later, ended by forceStop', async () => {
    const gid = 'ri-bound';
    const steps = [{ action: branches.url('/hang'), compensate: branches.url('/ok') }];
    expect((await post(dtx.api, 'submit', { gid, trans_type: 'saga', steps, payloads: ['{}'], retry_interval: 86_400, request_timeout: 1 })).status).toBe(200);
    // the call times out after 1 s; the result backs off by the interval (capped at max(MaxRetryInterval, retry_interval))
    const at = (t: unknown) => Date.parse(String(t));
    const q = await waitFor(() => query(dtx.api, gid), (v) => at(v.transaction?.update_time) - at(v.transaction?.create_time) >= 1000, 15_000, 'the timed-out call to be recorded');
    expect(q.transaction?.next_cron_interval).toBe(86_400);
    expect(at(q.transaction?.next_cron_time) - at(q.transaction?.update_time)).toBe(86_400_000);
    expect(actionCalls(gid, '/hang')).toHaveLength(1);
    await forceStopped(gid);
  });

  it('request_timeout at its bound (86400 s) waits for a slow branch and succeeds', async () => {
    const gid = 'rt-bound';
    const r = await post(dtx.api, 'submit', { gid, trans_type: 'saga', steps: [{ action: branches.url('/hang'), compensate: '' }], payloads: ['{}'], request_timeout: 86_400, wait_result: true });
    expect(r.body).toEqual({ dtm_result: 'SUCCESS' });
    expect(actionCalls(gid, '/hang')).toHaveLength(1);
    await verified(gid, 'succeed');
  });

  it('a msg prepared with timeout_to_fail at its bound (1 year) stays prepared until forceStop', async () => {
    const gid = 'ttf-bound';
    const body = { gid, trans_type: 'msg', steps: [{ action: branches.url('/ok') }], payloads: ['{}'], query_prepared: branches.url('/qp-ok'), timeout_to_fail: 31_536_000 };
    expect((await post(dtx.api, 'prepare', body)).status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('prepared');
    await forceStopped(gid);
    expect(branches.callsOf(gid)).toEqual([]);
  });

  it('a msg submitted with custom_data delay at its bound (1 year) waits, and forceStop ends it', async () => {
    const gid = 'delay-bound';
    const body = { gid, trans_type: 'msg', steps: [{ action: branches.url('/ok') }], payloads: ['{}'], query_prepared: branches.url('/qp-ok'), custom_data: '{"delay":31536000}' };
    expect((await post(dtx.api, 'submit', body)).status).toBe(200);
    const q = await query(dtx.api, gid);
    expect(q.transaction?.status).toBe('submitted');
    expect(Date.parse(String(q.transaction?.next_cron_time))).toBeGreaterThan(Date.now() + 364 * 86_400_000);
    await forceStopped(gid);
    expect(branches.callsOf(gid)).toEqual([]);
  });

  it("a gid with \\n and ; is stored without them (dtm's HTTP escape) and branches receive that gid", async () => {
    const r = await post(dtx.api, 'submit', { gid: 'semi;co\nlon', trans_type: 'saga', steps: [{ action: branches.url('/ok'), compensate: '' }], payloads: ['{}'], wait_result: true });
    expect(r.body).toEqual({ dtm_result: 'SUCCESS' });
    expect(actionCalls('semicolon', '/ok')).toHaveLength(1);
    await verified('semicolon', 'succeed');
  });

  it('dtx logged no error and is still up', () => {
    expect(dtx.proc.exitCode).toBeNull();
    expect(dtx.logs.filter((l) => /"level":(5|6)\d/.test(l))).toEqual([]);
  });
});

describe('fuzz findings (fail until src/ is fixed)', () => {
  it('F1: a body whose Content-Encoding cannot be decoded is 400 naming the request body', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await fetch(`${dtx.api}/submit`, { method: 'POST', headers: { 'content-encoding': encoding }, body: '{"gid":"enc","trans_type":"saga"}' });
      const body = (await res.json()) as { message: string; code: string };
      expect({ encoding, status: res.status, code: body.code }).toEqual({ encoding, status: 400, code: 'DTX_BAD_REQUEST' });
      expect(body.message).toMatch(/request body/);
    }
  });
});
