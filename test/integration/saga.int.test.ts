import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, FAILURE, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, saga, waitFor, waitStatus } from '../support/dtm-client.js';

/** SAGA behaviours of spec §15.3 against the real dtx process and real HTTP branches. */
let dtx: DtxProcess;
let bs: BranchServer;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

const steps = (p: string, n = 2) =>
  Array.from({ length: n }, (_, i) => ({ action: bs.url(`/${p}/a${i + 1}`), compensate: bs.url(`/${p}/c${i + 1}`) }));

describe('saga', () => {
  it('normal: both actions succeed in order with dtm branch-call conventions', async () => {
    const gid = gidOf('normal');
    expect((await post(dtx.api, 'submit', saga(gid, steps('n')))).body).toEqual({ dtm_result: 'SUCCESS' });
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    expect(q.transaction?.rollback_reason).toBeUndefined();
    const calls = bs.calls.filter((c) => c.query.gid === gid);
    expect(calls.map((c) => c.path)).toEqual(['/n/a1', '/n/a2']);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.body).toBe('{"amount":30}');
    expect(calls[0]!.query).toEqual({ branch_id: '01', gid, op: 'action', trans_type: 'saga' });
    expect(calls[0]!.headers['content-type']).toBe('application/json');
  });

  it('rollback: step 2 FAILURE compensates both steps in reverse order', async () => {
    const gid = gidOf('rollback');
    bs.on('/rb/a2', FAILURE);
    await post(dtx.api, 'submit', saga(gid, steps('rb')));
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(rows(q)).toEqual(['succeed', 'succeed', 'succeed', 'failed']);
    expect(q.transaction?.rollback_reason).toContain('Insufficient balance');
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path)).toEqual(['/rb/a1', '/rb/a2', '/rb/c2', '/rb/c1']);
  });

  it('ongoing: an ONGOING action is retried by the next pass and then succeeds', async () => {
    const gid = gidOf('ongoing');
    bs.on('/og/a1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('og'), { retry_interval: 1 }));
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    expect(bs.callsTo('/og/a1', gid)).toHaveLength(2);
  });

  it('retry/backoff: errors double next_cron_interval, then the branch succeeds', async () => {
    const gid = gidOf('backoff');
    bs.on('/bo/a1', (_c, nth) => (nth <= 2 ? ERROR500 : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('bo', 1), { retry_interval: 1 }));
    const first = await waitFor(() => query(dtx.api, gid), (q) => q.transaction?.next_cron_interval === 2, 10_000, 'first backoff');
    expect(first.transaction?.status).toBe('submitted');
    await waitFor(() => query(dtx.api, gid), (q) => q.transaction?.next_cron_interval === 4 || q.transaction?.status === 'succeed', 10_000, 'second backoff');
    await waitStatus(dtx.api, gid, 'succeed', 15_000);
    const calls = bs.callsTo('/bo/a1', gid);
    expect(calls).toHaveLength(3);
    // 1 s then 2 s between attempts (backoff), never faster
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(3900);
  });

  it('failed compensation keeps the saga aborting until a retry succeeds', async () => {
    const gid = gidOf('compfail');
    bs.on('/cf/a2', FAILURE).on('/cf/c2', (_c, nth) => (nth === 1 ? ERROR500 : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('cf'), { retry_interval: 1 }));
    await waitStatus(dtx.api, gid, 'aborting');
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(rows(q)).toEqual(['succeed', 'succeed', 'succeed', 'failed']);
    expect(bs.callsTo('/cf/c2', gid)).toHaveLength(2);
  });

  it('timeout_to_fail: a saga stuck ONGOING rolls back with dtm reason text', async () => {
    const gid = gidOf('timeout');
    bs.on('/to/a1', ONGOING);
    await post(dtx.api, 'submit', saga(gid, steps('to'), { timeout_to_fail: 1, retry_interval: 5 }));
    const q = await waitStatus(dtx.api, gid, 'failed', 10_000);
    expect(rows(q)).toEqual(['succeed', 'prepared', 'prepared', 'prepared']);
    expect(q.transaction?.rollback_reason).toMatch(/^Timeout after \d+ seconds$/);
  });

  it('concurrent with orders: step 2 waits for step 1; step-1 FAILURE never runs step 2', async () => {
    const ok = gidOf('conc');
    bs.on('/co/a1', { ...SUCCESS, delayMs: 150 });
    await post(dtx.api, 'submit', saga(ok, steps('co'), { custom_data: '{"concurrent":true,"orders":{"1":[0]}}' }));
    await waitStatus(dtx.api, ok, 'succeed');
    const [a1, a2] = [bs.callsTo('/co/a1', ok)[0]!, bs.callsTo('/co/a2', ok)[0]!];
    expect(a2.at - a1.at).toBeGreaterThanOrEqual(140);

    const bad = gidOf('concfail');
    bs.on('/cx/a1', FAILURE);
    await post(dtx.api, 'submit', saga(bad, steps('cx'), { custom_data: '{"concurrent":true,"orders":{"1":[0]}}' }));
    const q = await waitStatus(dtx.api, bad, 'failed');
    expect(rows(q)).toEqual(['succeed', 'failed', 'prepared', 'prepared']);
    expect(bs.callsTo('/cx/a2', bad)).toHaveLength(0);
  });

  it('concurrent without orders runs actions at the same time', async () => {
    const gid = gidOf('par');
    bs.on('/pa/a1', { ...SUCCESS, delayMs: 300 }).on('/pa/a2', { ...SUCCESS, delayMs: 300 });
    await post(dtx.api, 'submit', saga(gid, steps('pa'), { custom_data: '{"concurrent":true}' }));
    await waitStatus(dtx.api, gid, 'succeed');
    const [a1, a2] = [bs.callsTo('/pa/a1', gid)[0]!, bs.callsTo('/pa/a2', gid)[0]!];
    expect(Math.abs(a2.at - a1.at)).toBeLessThan(250);
  });

  it('retry_limit: immediate retries within the limit succeed; beyond it the saga rolls back', async () => {
    const yes = gidOf('rlyes');
    bs.on('/ry/a1', (_c, nth) => (nth <= 3 ? ERROR500 : SUCCESS));
    await post(dtx.api, 'submit', saga(yes, steps('ry'), { retry_limit: 3 }));
    expect(rows(await waitStatus(dtx.api, yes, 'succeed'))).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);

    const no = gidOf('rlno');
    bs.on('/rn/a2', ERROR500);
    const r = await post(dtx.api, 'submit', saga(no, steps('rn'), { retry_limit: 1, wait_result: true }));
    expect(r.status).toBe(409);
    const q = await waitStatus(dtx.api, no, 'failed');
    expect(q.transaction?.rollback_reason).toBe('RetryCount is greater than RetryLimit, RetryLimit: 1');
    expect(rows(q)).toEqual(['succeed', 'succeed', 'succeed', 'prepared']);
  });

  it('wait_result: answers after the pass with the final outcome', async () => {
    const ok = gidOf('wrok');
    const r1 = await post(dtx.api, 'submit', saga(ok, steps('wr'), { wait_result: true }));
    expect(r1.status).toBe(200);
    expect((await query(dtx.api, ok)).transaction?.status).toBe('succeed');

    const bad = gidOf('wrbad');
    bs.on('/wb/a2', FAILURE);
    const r2 = await post(dtx.api, 'submit', saga(bad, steps('wb'), { wait_result: true }));
    expect(r2.status).toBe(409);
    expect(r2.body.dtm_result).toBe('FAILURE');
    expect(String(r2.body.message)).toContain('Insufficient balance');
    expect((await query(dtx.api, bad)).transaction?.status).toBe('failed');

    const og = gidOf('wrog');
    bs.on('/wo/a1', ONGOING);
    const r3 = await post(dtx.api, 'submit', saga(og, steps('wo'), { wait_result: true, retry_interval: 60 }));
    expect(r3.status).toBe(409);
    expect(r3.body.message).toBe('wait result not return success: FAILURE');
    expect((await query(dtx.api, og)).transaction?.status).toBe('submitted');
  });

  it('branch_headers are sent on the first pass and on retries', async () => {
    const gid = gidOf('hdr');
    bs.on('/hd/a1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('hd', 1), { branch_headers: { test_header: 'yes' }, retry_interval: 1 }));
    await waitStatus(dtx.api, gid, 'succeed');
    const calls = bs.callsTo('/hd/a1', gid);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.headers.test_header).toBe('yes');
  });

  it('abnormal: a repeated submit while submitted is OK; after succeed it is 409', async () => {
    const gid = gidOf('abn');
    bs.on('/ab/a1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    const body = saga(gid, steps('ab'), { retry_interval: 60 });
    await post(dtx.api, 'submit', body);
    await waitFor(() => Promise.resolve(bs.callsTo('/ab/a1', gid).length), (n) => n === 1);
    await waitFor(() => query(dtx.api, gid), (q) => q.transaction?.next_cron_interval === 60 && q.branches[1]?.status === 'prepared');
    expect((await post(dtx.api, 'submit', body)).status).toBe(200);
    await waitStatus(dtx.api, gid, 'succeed');
    const again = await post(dtx.api, 'submit', body);
    expect(again.status).toBe(409);
    expect(again.body.message).toBe("current status 'succeed', cannot sumbmit. FAILURE");
  });

  it('empty URLs count as success without a call; legacy steps[].data payloads work', async () => {
    const gid = gidOf('empty');
    const r = await post(dtx.api, 'submit', { gid, trans_type: 'saga', steps: [{ action: '', compensate: '', data: '{"legacy":0}' }, { action: bs.url('/em/a2'), compensate: '', data: '{"legacy":1}' }], wait_result: true });
    expect(r.status).toBe(200);
    const calls = bs.callsTo('/em/a2', gid);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toBe('{"legacy":1}');
  });

  it('request_timeout: a slow branch within the trans timeout succeeds; beyond the default it is an error', async () => {
    const gid = gidOf('rt');
    bs.on('/rt/a1', { ...SUCCESS, delayMs: 3500 });
    const r = await post(dtx.api, 'submit', saga(gid, steps('rt', 1), { request_timeout: 6, wait_result: true }));
    expect(r.status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('succeed');

    const slow = gidOf('rtd');
    bs.on('/rd/a1', { ...SUCCESS, delayMs: 3500 });
    await post(dtx.api, 'submit', saga(slow, steps('rd', 1), { retry_interval: 60 }));
    await waitFor(() => query(dtx.api, slow), (q) => q.transaction?.next_cron_interval === 120, 10_000, 'the 3 s default timeout to back off');
    await post(dtx.api, 'forceStop', { gid: slow });
  });

  it('concurrent: step-1 FAILURE with an ONGOING compensation stays aborting until the retry', async () => {
    const gid = gidOf('crn');
    bs.on('/cr/a1', FAILURE).on('/cr/c1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('cr'), { custom_data: '{"concurrent":true}', retry_interval: 1 }));
    await waitStatus(dtx.api, gid, 'aborting');
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(q.branches[0]!.status).toBe('succeed');
    expect(q.branches[1]!.status).toBe('failed');
  });

  it('concurrent: step 1 ONGOING while step 2 succeeds keeps it submitted, the next pass finishes', async () => {
    const gid = gidOf('cco');
    bs.on('/cc/a1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, steps('cc'), { custom_data: '{"concurrent":true}', retry_interval: 2 }));
    const mid = await waitFor(() => query(dtx.api, gid), (q) => q.branches[3]?.status === 'succeed', 5000, 'step 2 to succeed');
    expect(rows(mid)).toEqual(['prepared', 'prepared', 'prepared', 'succeed']);
    expect(mid.transaction?.status).toBe('submitted');
    expect(rows(await waitStatus(dtx.api, gid, 'succeed'))).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
  });

  it('concurrent with orders: step-2 FAILURE compensates both steps', async () => {
    const gid = gidOf('cro2');
    bs.on('/c2/a2', FAILURE);
    await post(dtx.api, 'submit', saga(gid, steps('c2'), { custom_data: '{"concurrent":true,"orders":{"1":[0]}}' }));
    expect(rows(await waitStatus(dtx.api, gid, 'failed'))).toEqual(['succeed', 'succeed', 'succeed', 'failed']);
    const order = bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path);
    expect(order.indexOf('/c2/c2')).toBeLessThan(order.indexOf('/c2/c1'));
  });
});
