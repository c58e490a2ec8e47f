import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, FAILURE, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitFor, waitStatus } from '../support/dtm-client.js';
import { CONFIG_DEFAULTS, embeddedMaxViewChars, KAFKA_MAX_VIEW_CHARS } from '../../src/config/index.js';

/**
 * TCC behaviours of spec §15.3 (tcc_*_test.go) against the real dtx process and real HTTP branches.
 * The test plays the SDK: prepare, registerBranch per branch, then it calls `try` itself, and submits
 * or aborts.
 */
let dtx: DtxProcess;
let bs: BranchServer;
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx(), BranchServer.start()]);
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

const tcc = (gid: string, extra: Record<string, unknown> = {}) => ({ gid, trans_type: 'tcc', ...extra });
const branch = (gid: string, id: string, p: string, data = '{"amount":30}') => ({ gid, trans_type: 'tcc', branch_id: id, data, confirm: bs.url(`/${p}/confirm`), cancel: bs.url(`/${p}/cancel`) });

/** prepare + register every branch (each answered 200 SUCCESS). */
async function prepared(gid: string, branches: Array<Record<string, string>>, extra: Record<string, unknown> = {}): Promise<void> {
  expect((await post(dtx.api, 'prepare', tcc(gid, extra))).status).toBe(200);
  for (const b of branches) expect((await post(dtx.api, 'registerBranch', b)).body).toEqual({ dtm_result: 'SUCCESS' });
}

describe('tcc', () => {
  it('normal: confirms every registered branch, last registered first, with dtm conventions', async () => {
    const gid = gidOf('tcc-n');
    await prepared(gid, [branch(gid, '01', 'tn1'), branch(gid, '02', 'tn2', '{"amount":31}')]);
    expect((await query(dtx.api, gid)).branches.map((b) => `${b.branch_id}/${b.op}`)).toEqual(['01/cancel', '01/confirm', '02/cancel', '02/confirm']);
    expect((await post(dtx.api, 'submit', tcc(gid))).status).toBe(200);
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    const calls = bs.calls.filter((c) => c.query.gid === gid);
    expect(calls.map((c) => c.path)).toEqual(['/tn2/confirm', '/tn1/confirm']);
    expect(calls[0]!.query).toEqual({ branch_id: '02', gid, op: 'confirm', trans_type: 'tcc' });
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.body).toBe('{"amount":31}');
    expect(q.branches[0]!.bin_data).toBe(Buffer.from('{"amount":30}').toString('base64'));
  });

  it('rollback: the client aborts with its reason; an ONGOING cancel keeps it aborting until the retry', async () => {
    const gid = gidOf('tcc-rb');
    bs.on('/tr2/cancel', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await prepared(gid, [branch(gid, '01', 'tr1'), branch(gid, '02', 'tr2')], { retry_interval: 1 });
    const r = await post(dtx.api, 'abort', tcc(gid, { rollback_reason: 'reason: Insufficient balance FAILURE' }));
    expect(r.status).toBe(200);
    await waitStatus(dtx.api, gid, 'aborting');
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(rows(q)).toEqual(['succeed', 'prepared', 'succeed', 'prepared']);
    expect(q.transaction?.rollback_reason).toBe('reason: Insufficient balance FAILURE');
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path)).toEqual(['/tr2/cancel', '/tr2/cancel', '/tr1/cancel']);
  });

  it('timeout: the timer wheel aborts a prepared tcc at timeout_to_fail; then registerBranch and abort are 409', async () => {
    const gid = gidOf('tcc-to');
    await prepared(gid, [branch(gid, '01', 'tt1')], { timeout_to_fail: 1 });
    const q = await waitStatus(dtx.api, gid, 'failed', 10_000);
    expect(rows(q)).toEqual(['succeed', 'prepared']);
    expect(q.transaction?.rollback_reason).toMatch(/^Timeout after \d+ seconds$/);
    expect(q.transaction?.rollback_reason).toBe('Timeout after 1 seconds');
    const late = await post(dtx.api, 'registerBranch', branch(gid, '02', 'tt2'));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ dtm_result: 'FAILURE', message: `no trans with gid: ${gid} status: prepared found FAILURE` });
    const abort = await post(dtx.api, 'abort', tcc(gid));
    expect(abort.status).toBe(409);
    expect(abort.body.message).toBe("trans type: 'tcc' current status 'failed', cannot abort. FAILURE");
    expect(bs.callsTo('/tt2/cancel')).toHaveLength(0);
  });

  it('register after abort → 409 with dtm text; the late branch is never called', async () => {
    const gid = gidOf('tcc-ra');
    await prepared(gid, [branch(gid, '01', 'ra1')]);
    expect((await post(dtx.api, 'abort', tcc(gid))).status).toBe(200);
    const late = await post(dtx.api, 'registerBranch', branch(gid, '02', 'ra2'));
    expect(late.status).toBe(409);
    expect(late.body.message).toBe(`no trans with gid: ${gid} status: prepared found FAILURE`);
    await waitStatus(dtx.api, gid, 'failed');
    expect(bs.callsTo('/ra2/cancel')).toHaveLength(0);
    const unknown = await post(dtx.api, 'registerBranch', branch(gidOf('nobody'), '01', 'ra3'));
    expect(unknown.status).toBe(409);
  });

  it('concurrent registerBranch of the same branch is applied exactly once; other data for the id is 409', async () => {
    const gid = gidOf('tcc-cc');
    await prepared(gid, []);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(dtx.api, 'registerBranch', branch(gid, '01', 'cc1'))));
    for (const a of answers) expect(a.body).toEqual({ dtm_result: 'SUCCESS' });
    expect((await query(dtx.api, gid)).branches).toHaveLength(2);
    const other = await post(dtx.api, 'registerBranch', branch(gid, '01', 'cc1', '{"amount":99}'));
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ dtm_result: 'FAILURE', code: 'DTX_DUPLICATE_BRANCH' });
    await post(dtx.api, 'submit', tcc(gid));
    await waitStatus(dtx.api, gid, 'succeed');
    expect(bs.callsTo('/cc1/confirm', gid)).toHaveLength(1);
  });

  it('a FAILURE of confirm is only an error: retried with backoff, never a rollback', async () => {
    const gid = gidOf('tcc-cf');
    bs.on('/cf1/confirm', (_c, nth) => (nth === 1 ? FAILURE : nth === 2 ? ERROR500 : SUCCESS));
    await prepared(gid, [branch(gid, '01', 'cf1')], { retry_interval: 1 });
    await post(dtx.api, 'submit', tcc(gid));
    const q = await waitStatus(dtx.api, gid, 'succeed', 15_000);
    expect(rows(q)).toEqual(['prepared', 'succeed']);
    expect(bs.callsTo('/cf1/confirm', gid)).toHaveLength(3);
    expect(bs.callsTo('/cf1/cancel', gid)).toHaveLength(0);
  });

  it('wait_result: SUCCESS after the confirms; ONGOING confirm → 425 and the next pass finishes it', async () => {
    const ok = gidOf('tcc-w');
    await prepared(ok, [branch(ok, '01', 'tw1')]);
    expect((await post(dtx.api, 'submit', tcc(ok, { wait_result: true }))).status).toBe(200);
    expect((await query(dtx.api, ok)).transaction?.status).toBe('succeed');

    const og = gidOf('tcc-wo');
    bs.on('/wo1/confirm', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await prepared(og, [branch(og, '01', 'wo1')], { retry_interval: 1 });
    const r = await post(dtx.api, 'submit', tcc(og, { wait_result: true }));
    expect(r.status).toBe(425);
    expect(r.body.dtm_result).toBe('ONGOING');
    await waitStatus(dtx.api, og, 'succeed');
  });

  it('nested branches 01, 02, 0201 and empty confirm/cancel URLs', async () => {
    const gid = gidOf('tcc-nest');
    const empty = { gid, trans_type: 'tcc', branch_id: '02', data: '{}', confirm: '', cancel: '' };
    await prepared(gid, [branch(gid, '01', 'ns1'), empty, branch(gid, '0201', 'ns3')]);
    await post(dtx.api, 'submit', tcc(gid));
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(q.branches.map((b) => b.branch_id)).toEqual(['01', '01', '02', '02', '0201', '0201']);
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed', 'prepared', 'succeed']);
    expect(bs.calls.filter((c) => c.query.gid === gid).map((c) => c.path)).toEqual(['/ns3/confirm', '/ns1/confirm']);
  });

  it('abnormal: prepare twice OK; abort of a saga-typed request 409; resubmit re-passes; submit after succeed 409', async () => {
    const gid = gidOf('tcc-ab');
    bs.on('/ab1/confirm', (_c, nth) => (nth === 1 ? ONGOING : SUCCESS));
    await prepared(gid, [branch(gid, '01', 'ab1')], { retry_interval: 60 });
    expect((await post(dtx.api, 'prepare', tcc(gid))).status).toBe(200);
    const sagaAbort = await post(dtx.api, 'abort', { gid, trans_type: 'saga' });
    expect(sagaAbort.status).toBe(409);
    expect(sagaAbort.body.message).toBe("trans type: 'tcc' current status 'prepared', cannot abort. FAILURE");
    await post(dtx.api, 'submit', tcc(gid));
    await waitFor(() => Promise.resolve(bs.callsTo('/ab1/confirm', gid).length), (n) => n === 1);
    await waitFor(() => query(dtx.api, gid), (q) => q.transaction?.status === 'submitted' && q.transaction?.next_cron_interval === 60);
    // a repeated submit while submitted re-runs the pass on the stored rows (spec §16.1 fixed)
    expect((await post(dtx.api, 'submit', tcc(gid))).status).toBe(200);
    await waitStatus(dtx.api, gid, 'succeed');
    const again = await post(dtx.api, 'submit', tcc(gid));
    expect(again.status).toBe(409);
    expect(again.body.message).toBe("current status 'succeed', cannot sumbmit. FAILURE");
  });

  it('registerTccBranch and registerXaBranch are aliases of registerBranch', async () => {
    const gid = gidOf('tcc-alias');
    await prepared(gid, []);
    expect((await post(dtx.api, 'registerTccBranch', branch(gid, '01', 'al1'))).status).toBe(200);
    expect((await post(dtx.api, 'registerXaBranch', branch(gid, '02', 'al2'))).status).toBe(200);
    expect((await query(dtx.api, gid)).branches).toHaveLength(4);
  });

  it('registrations that would render a view past the log\'s bound (16 Mi characters embedded at 1 MiB bodies, 12 Mi on Kafka) get 413; the tcc goes on', async () => {
    const bound = process.env.DTX_TEST_STORE === 'kafka' ? KAFKA_MAX_VIEW_CHARS : embeddedMaxViewChars(CONFIG_DEFAULTS.HttpMaxBodyBytes);
    expect(bound).toBe(process.env.DTX_TEST_STORE === 'kafka' ? 12 * 2 ** 20 : 16 * 2 ** 20);
    const gid = gidOf('tcc-view');
    await prepared(gid, []);
    const answers = [];
    for (let i = 1; i <= 20; i += 1) {
      const r = await post(dtx.api, 'registerBranch', branch(gid, String(i).padStart(2, '0'), 'tv', 'd'.repeat(1_000_000)));
      answers.push(r);
      if (r.status !== 200) break;
    }
    const refused = answers.at(-1)!;
    expect([refused.status, refused.body.code]).toEqual([413, 'DTX_PAYLOAD_TOO_LARGE']);
    expect(refused.body.message).toMatch(new RegExp(`^transaction ${gid} would render a view of \\d+ characters, more than the log takes \\(${bound}\\); its change is refused$`));
    expect(answers.length).toBeGreaterThan(2);
    expect((await query(dtx.api, gid)).branches).toHaveLength(2 * (answers.length - 1));
    await post(dtx.api, 'submit', tcc(gid));
    await waitStatus(dtx.api, gid, 'succeed');
  });
});
