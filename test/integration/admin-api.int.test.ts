import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ONGOING, SUCCESS } from '../support/branch-server.js';
import { get, gidOf, post, query, saga, waitFor, waitStatus } from '../support/dtm-client.js';

/** Operator routes and read APIs: forceStop, resetNextCronTime, resetCronTime, query, all, newGid. */
let dtx: DtxProcess;
let bs: BranchServer;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

describe('admin and read routes', () => {
  it('forceStop fails a stuck saga without compensation; on a finished saga it is 409', async () => {
    const gid = gidOf('fs');
    bs.on('/fs/a1', ONGOING);
    await post(dtx.api, 'submit', saga(gid, [{ action: bs.url('/fs/a1'), compensate: bs.url('/fs/c1') }], { retry_interval: 60 }));
    await waitFor(() => Promise.resolve(bs.callsTo('/fs/a1', gid).length), (n) => n === 1);
    expect((await post(dtx.api, 'forceStop', { gid })).status).toBe(200);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('failed');
    expect(bs.callsTo('/fs/c1', gid)).toHaveLength(0);
    const again = await post(dtx.api, 'forceStop', { gid });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('global transaction force stop error. status: failed. error: FAILURE');
    expect((await post(dtx.api, 'forceStop', { gid: 'no-such-gid' })).status).toBe(500);
  });

  it('resetNextCronTime makes a transaction due now; the next pass runs at once', async () => {
    const gid = gidOf('rn');
    bs.on('/rn/a1', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, [{ action: bs.url('/rn/a1'), compensate: '' }], { retry_interval: 300 }));
    const before = await waitFor(() => query(dtx.api, gid), (q) => q.transaction?.next_cron_interval === 300 && bs.callsTo('/rn/a1', gid).length === 1);
    const r = await post(dtx.api, 'resetNextCronTime', { gid });
    expect(r.status).toBe(200);
    await waitStatus(dtx.api, gid, 'succeed', 5000);
    expect(bs.callsTo('/rn/a1', gid)).toHaveLength(2);
    expect(Date.parse(String(before.transaction?.next_cron_time))).toBeGreaterThan(Date.now() + 200_000);
    expect((await post(dtx.api, 'resetNextCronTime', { gid: 'no-such-gid' })).status).toBe(500);
  });

  it('resetCronTime resets only transactions scheduled beyond the timeout, up to limit', async () => {
    const gids = [gidOf('rc'), gidOf('rc'), gidOf('rc')];
    bs.on('/rc/a1', ONGOING);
    for (const gid of gids) await post(dtx.api, 'submit', saga(gid, [{ action: bs.url('/rc/a1'), compensate: '' }], { retry_interval: 5000 }));
    await waitFor(() => Promise.resolve(bs.callsTo('/rc/a1').length), (n) => n >= 3);
    await waitFor(() => Promise.all(gids.map((g) => query(dtx.api, g))), (qs) => qs.every((q) => q.transaction?.next_cron_interval === 5000));
    const r1 = await get(dtx.api, 'resetCronTime?timeout=1000&limit=2');
    expect(r1.body).toEqual({ has_remaining: true, succeed_count: 2 });
    const r2 = await get(dtx.api, 'resetCronTime?timeout=1000&limit=10');
    expect(r2.body).toEqual({ has_remaining: false, succeed_count: 1 });
    await waitFor(() => Promise.resolve(bs.callsTo('/rc/a1').length), (n) => n >= 6);
    for (const gid of gids) await post(dtx.api, 'forceStop', { gid });
  });

  it('query: unknown gid gives a null transaction; a missing gid is a 400', async () => {
    const q = await get(dtx.api, 'query?gid=definitely-unknown');
    expect(q.status).toBe(200);
    expect(q.body).toEqual({ transaction: null, branches: [] });
    const bad = await get(dtx.api, 'query');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('no gid specified');
  });

  it('all: gid filter, paging cursor, status/transType/time filters', async () => {
    const gids = [gidOf('all'), gidOf('all'), gidOf('all')];
    for (const gid of gids) await post(dtx.api, 'submit', saga(gid, [{ action: '', compensate: '' }], { wait_result: true }));
    const one = await get(dtx.api, `all?gid=${gids[0]}`);
    expect((one.body.transactions as unknown[]).length).toBe(1);
    expect((await get(dtx.api, 'all?gid=unknown-gid')).body).toEqual({ transactions: null, next_position: '' });
    const p1 = await get(dtx.api, 'all?limit=1');
    expect(p1.body.next_position).not.toBe('');
    const p2 = await get(dtx.api, `all?limit=1&position=${String(p1.body.next_position)}`);
    expect(p2.body.next_position).not.toBe('');
    expect(p2.body.next_position).not.toBe(p1.body.next_position);
    expect((await get(dtx.api, 'all?limit=100000')).status).toBe(400);
    expect((await get(dtx.api, 'all?limit=1000')).body.next_position).toBe('');
    const now = Date.now();
    const filtered = await get(dtx.api, `all?status=succeed&transType=saga&createTimeStart=${now - 60_000}&createTimeEnd=${now + 1000}&limit=1000`);
    const items = filtered.body.transactions as Array<{ status: string; trans_type: string }>;
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(items.every((t) => t.status === 'succeed' && t.trans_type === 'saga')).toBe(true);
    const past = await get(dtx.api, `all?createTimeStart=1000&createTimeEnd=2000`);
    expect(past.body.transactions).toEqual([]);
    expect((await get(dtx.api, 'all?limit=abc')).status).toBe(400);
  });

  it('newGid, version and ping', async () => {
    const g = await get(dtx.api, 'newGid');
    expect(g.body.dtm_result).toBe('SUCCESS');
    expect(String(g.body.gid)).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz]{22}$/);
    expect((await get(dtx.api, 'version')).body.version).toMatch(/^v\d+\.\d+\.\d+/);
    const ping = await fetch(`http://127.0.0.1:${dtx.port}/api/ping`, { method: 'POST' });
    expect(await ping.json()).toEqual({ msg: 'pong' });
    expect((await fetch(`http://127.0.0.1:${dtx.port}/api/dtmsvr/nope`)).status).toBe(404);
  });

  it('metrics: dtm metric names and engine metrics', async () => {
    const gid = gidOf('met');
    await post(dtx.api, 'submit', saga(gid, [{ action: bs.url('/met/a1'), compensate: '' }], { wait_result: true }));
    const res = await fetch(`http://127.0.0.1:${dtx.port}/api/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/dtm_server_process_total\{type="http",api="submit",status="ok"\} [1-9]/);
    expect(text).toMatch(/dtm_branch_process_total\{model="saga",branchid="01",branchtype="action",status="ok"\} [1-9]/);
    expect(text).toMatch(/dtm_transaction_process_total\{model="saga",status="ok"\} [1-9]/);
    expect(text).toMatch(/dtx_log_append_seconds_count [1-9]/);
    expect(text).toContain('dtx_live_transactions');
  });
});
