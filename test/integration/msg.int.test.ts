import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, FAILURE, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitFor, waitStatus } from '../support/dtm-client.js';

/** MSG behaviours of spec §15.3: submit, query-back, delay, concurrent, retries, alert webhook. */
let dtx: DtxProcess;
let bs: BranchServer;
beforeAll(async () => {
  bs = await BranchServer.start();
  // AlertRetryLimit 1: the first backoff already posts the webhook (spec §8.5).
  dtx = await startDtx({ env: { ALERT_WEB_HOOK: bs.url('/alert'), ALERT_RETRY_LIMIT: '1' } });
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

const msg = (gid: string, p: string, extra: Record<string, unknown> = {}) => ({
  gid,
  trans_type: 'msg',
  steps: [{ action: bs.url(`/${p}/a1`) }, { action: bs.url(`/${p}/a2`) }],
  payloads: ['{"amount":30}', '{"amount":30}'],
  query_prepared: bs.url(`/${p}/qp`),
  ...extra,
});

describe('msg', () => {
  it('normal: submit calls the actions in order and succeeds', async () => {
    const gid = gidOf('mn');
    expect((await post(dtx.api, 'submit', msg(gid, 'mn'))).status).toBe(200);
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['succeed', 'succeed']);
    expect(q.branches.map((b) => b.branch_id)).toEqual(['01', '02']);
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path)).toEqual(['/mn/a1', '/mn/a2']);
  });

  it('prepare then query-back SUCCESS after timeout_to_fail submits it', async () => {
    const gid = gidOf('mq');
    expect((await post(dtx.api, 'prepare', msg(gid, 'mq', { timeout_to_fail: 1 }))).status).toBe(200);
    expect((await post(dtx.api, 'prepare', msg(gid, 'mq', { timeout_to_fail: 1 }))).status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('prepared');
    const q = await waitStatus(dtx.api, gid, 'succeed', 10_000);
    expect(rows(q)).toEqual(['succeed', 'succeed']);
    const qp = bs.callsTo('/mq/qp', gid);
    expect(qp).toHaveLength(1);
    expect(qp[0]!.method).toBe('GET');
    expect(qp[0]!.query).toEqual({ branch_id: '00', gid, op: 'msg', trans_type: 'msg' });
    const again = await post(dtx.api, 'prepare', msg(gid, 'mq'));
    expect(again.status).toBe(409);
    expect(again.body.message).toBe("current status 'succeed', cannot prepare. FAILURE");
  });

  it('query-back ONGOING then FAILURE fails the msg without calling actions', async () => {
    const gid = gidOf('mf');
    bs.on('/mf/qp', (_c, nth) => (nth === 1 ? ONGOING : FAILURE));
    await post(dtx.api, 'prepare', msg(gid, 'mf', { timeout_to_fail: 1, retry_interval: 1 }));
    const q = await waitStatus(dtx.api, gid, 'failed', 10_000);
    expect(rows(q)).toEqual(['prepared', 'prepared']);
    expect(bs.callsTo('/mf/qp', gid)).toHaveLength(2);
    expect(bs.callsTo('/mf/a1', gid)).toHaveLength(0);
  });

  it('abort of a prepared msg fails it; abort of a submitted msg is 409', async () => {
    const gid = gidOf('ma');
    await post(dtx.api, 'prepare', msg(gid, 'ma'));
    expect((await post(dtx.api, 'abort', { gid, trans_type: 'msg' })).status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('failed');
    const s = gidOf('ma2');
    bs.on('/mb/a1', ONGOING);
    await post(dtx.api, 'submit', msg(s, 'mb', { retry_interval: 60 }));
    const r = await post(dtx.api, 'abort', { gid: s, trans_type: 'msg' });
    expect(r.status).toBe(409);
    expect(r.body.message).toBe("trans type: 'msg' current status 'submitted', cannot abort. FAILURE");
    expect((await post(dtx.api, 'abort', { gid: 'no-such', trans_type: 'msg' })).status).toBe(500);
    await post(dtx.api, 'forceStop', { gid: s });
  });

  it('delay: actions are not called before create_time + delay', async () => {
    const gid = gidOf('md');
    const t0 = Date.now();
    await post(dtx.api, 'submit', msg(gid, 'md', { custom_data: '{"delay":2}' }));
    expect((await query(dtx.api, gid)).transaction?.status).toBe('submitted');
    await waitStatus(dtx.api, gid, 'succeed', 10_000);
    expect(bs.callsTo('/md/a1', gid)[0]!.at - t0).toBeGreaterThanOrEqual(1900);
  });

  it('concurrent: both actions are called at once', async () => {
    const gid = gidOf('mc');
    bs.on('/mc/a1', { ...SUCCESS, delayMs: 300 });
    await post(dtx.api, 'submit', msg(gid, 'mc', { concurrent: true }));
    await waitStatus(dtx.api, gid, 'succeed');
    expect(Math.abs(bs.callsTo('/mc/a2', gid)[0]!.at - bs.callsTo('/mc/a1', gid)[0]!.at)).toBeLessThan(250);
  });

  it('an action FAILURE or error is retried with backoff; the alert webhook is posted', async () => {
    const gid = gidOf('mr');
    bs.on('/mr/a1', (_c, nth) => (nth === 1 ? FAILURE : nth === 2 ? ERROR500 : SUCCESS));
    const r = await post(dtx.api, 'submit', msg(gid, 'mr', { retry_interval: 1, wait_result: true }));
    expect(r.status).toBe(409);
    expect(String(r.body.message)).toContain('unkown result will be retried');
    await waitStatus(dtx.api, gid, 'succeed', 15_000);
    expect(bs.callsTo('/mr/a1', gid)).toHaveLength(3);
    const alerts = await waitFor(() => Promise.resolve(bs.calls.filter((c) => c.path === '/alert' && c.body.includes(gid))), (a) => a.length >= 1);
    const alert = JSON.parse(alerts[0]!.body) as Record<string, unknown>;
    expect(alert).toMatchObject({ gid, status: 'submitted', branch: bs.url('/mr/a1') });
    expect(alert.retry_count).toBeGreaterThanOrEqual(1);
  });

  it('wait_result on a msg that succeeds answers 200 with the msg finished', async () => {
    const gid = gidOf('mw');
    const r = await post(dtx.api, 'submit', msg(gid, 'mw', { wait_result: true }));
    expect(r.status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('succeed');
  });
});
