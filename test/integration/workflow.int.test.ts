import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, ONGOING, SUCCESS, type BranchCall } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitFor, waitStatus } from '../support/dtm-client.js';
import { endWorkflow, eventTypes, prepareWorkflow, recordProgress, workflowBody, type WorkflowRequest } from '../support/workflow-client.js';

/**
 * WORKFLOW behaviours of spec §15.3 (workflow_*_test.go) against the real dtx process over HTTP.
 * The test plays the SDK (test/support/workflow-client.ts): prepareWorkflow, one registerBranch per
 * step outcome, a submit with req_extra; the resume callback is a real HTTP service whose handler
 * runs the workflow again as the SDK's ExecuteByQS does. The Go SDK itself runs in test/interop.
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

const wf = (prefix: string, extra: Record<string, unknown> = {}, input = '{"amount":30}'): WorkflowRequest => {
  const gid = gidOf(prefix);
  return { gid, name: `wf-${prefix}`, callback: bs.url(`/${prefix}/resume`), input, extra };
};
/** A valid prepareWorkflow body for the bad-input table (built before the branch server exists). */
const bad = () => workflowBody({ gid: gidOf('wb'), name: 'bad', callback: 'http://127.0.0.1:9/resume', input: '{}' });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const resumes = (w: WorkflowRequest): BranchCall[] => bs.callsTo(`/${w.callback.split('/').at(-2)}/resume`, w.gid);
/** The stored event types once the last one is `last` (dtx's audit route may read a replica that lags, Kafka). */
const eventsUntil = (w: WorkflowRequest, last: string) => waitFor(() => eventTypes(dtx.api, w.gid), (ev) => ev.at(-1) === last, 20_000, `${w.gid} events up to ${last}`);
/** Runs the next pass now (the operator's retry-now) and waits until its callback call was answered and recorded. */
async function nextPass(w: WorkflowRequest, passes: number): Promise<void> {
  expect((await post(dtx.api, 'resetNextCronTime', { gid: w.gid })).status).toBe(200);
  await waitFor(() => eventTypes(dtx.api, w.gid), (ev) => ev.filter((t) => t.startsWith('Branch') && t !== 'BranchRegistered').length >= passes, 20_000, `pass ${passes} answered`);
}

describe('workflow over HTTP', () => {
  it('normal: prepareWorkflow answers {transaction, progresses}; progresses and the succeed submit are stored; dtx calls nothing', async () => {
    const w = wf('wn');
    const first = await prepareWorkflow(dtx.api, w);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['progresses', 'transaction']);
    expect(first.progress.transaction).toMatchObject({ gid: w.gid, trans_type: 'workflow', status: 'prepared', protocol: 'http', query_prepared: w.callback, custom_data: workflowBody(w).custom_data });
    expect(first.progress.progresses).toEqual([]);
    for (const [id, op, data] of [['01', 'action', '{"out":1}'], ['02', 'action', ''], ['01', 'commit', ''], ['02', 'commit', '']] as const) {
      expect((await recordProgress(dtx.api, w.gid, id, op, 'succeed', data)).body).toEqual({ dtm_result: 'SUCCESS' });
    }
    expect((await endWorkflow(dtx.api, w.gid, 'succeed', { result: 'done' })).body).toEqual({ dtm_result: 'SUCCESS' });
    const q = await query(dtx.api, w.gid);
    expect(q.transaction).toMatchObject({ status: 'succeed', result: b64('done') });
    expect(q.branches.map((b) => `${b.branch_id}:${b.op}:${b.status}`)).toEqual(['01:action:succeed', '02:action:succeed', '01:commit:succeed', '02:commit:succeed']);
    expect(q.branches[0]!.bin_data).toBe(b64('{"out":1}'));
    expect(q.branches[0]!.url).toBeUndefined();
    expect(await eventsUntil(w, 'TransSubmitted')).toEqual(['TransCreated', 'BranchRegistered', 'BranchRegistered', 'BranchRegistered', 'BranchRegistered', 'TransSubmitted']);
    expect(resumes(w)).toEqual([]);
  });

  it('rollback: the failed step and the compensations are recorded; the failed submit stores the reason', async () => {
    const w = wf('wr');
    await prepareWorkflow(dtx.api, w);
    await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed');
    await recordProgress(dtx.api, w.gid, '02', 'action', 'failed', '{"dtm_result":"FAILURE","message":"Insufficient balance"}');
    await recordProgress(dtx.api, w.gid, '01', 'rollback', 'succeed');
    expect((await endWorkflow(dtx.api, w.gid, 'failed', { reason: 'Insufficient balance FAILURE' })).status).toBe(200);
    const q = await query(dtx.api, w.gid);
    expect([q.transaction?.status, q.transaction?.rollback_reason]).toEqual(['failed', 'Insufficient balance FAILURE']);
    expect(rows(q)).toEqual(['succeed', 'failed', 'succeed']);
    expect(Buffer.from(String(q.branches[1]!.bin_data), 'base64').toString()).toContain('Insufficient balance');
  });

  it('re-execution: prepareWorkflow of a known gid answers the stored progresses (replayed, not re-run), of a finished one the result', async () => {
    const w = wf('wp');
    await prepareWorkflow(dtx.api, w);
    await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed', 'step one');
    const again = await prepareWorkflow(dtx.api, { ...w, input: 'other input is ignored' });
    expect(again.progress.progresses.map((p) => [p.branch_id, p.op, p.status, p.bin_data])).toEqual([['01', 'action', 'succeed', b64('step one')]]);
    expect(again.progress.transaction.custom_data).toBe(workflowBody(w).custom_data);
    await endWorkflow(dtx.api, w.gid, 'succeed', { result: '{"total":30}' });
    const done = await prepareWorkflow(dtx.api, w);
    expect(done.progress.transaction).toMatchObject({ status: 'succeed', result: b64('{"total":30}') });
    const failed = wf('wp2');
    await prepareWorkflow(dtx.api, failed);
    await endWorkflow(dtx.api, failed.gid, 'failed', { reason: 'boom FAILURE' });
    expect((await prepareWorkflow(dtx.api, failed)).progress.transaction).toMatchObject({ status: 'failed', rollback_reason: 'boom FAILURE' });
    expect(await eventsUntil(w, 'TransSubmitted')).toEqual(['TransCreated', 'BranchRegistered', 'TransSubmitted']);
  });

  it('error, then the cron pass calls the resume callback (POST, dtm query, the input as body) which finishes it', async () => {
    const w = wf('we', { retry_interval: 1 });
    bs.on('/we/resume', async (call) => {
      // the SDK's ExecuteByQS: prepareWorkflow shows step 01 done, step 02 runs now, then submit
      const seen = await prepareWorkflow(dtx.api, w);
      if (seen.progress.progresses.length === 1) await recordProgress(dtx.api, call.query.gid!, '02', 'action', 'succeed');
      await endWorkflow(dtx.api, call.query.gid!, 'succeed');
      return SUCCESS;
    });
    await prepareWorkflow(dtx.api, w);
    await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed');
    // the first execution ended with an error: no submit
    const q = await waitStatus(dtx.api, w.gid, 'succeed', 15_000);
    expect(rows(q)).toEqual(['succeed', 'succeed']);
    const calls = resumes(w);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.query).toEqual({ branch_id: '00', gid: w.gid, op: w.name, trans_type: 'workflow' });
    expect(calls[0]!.body).toBe('{"amount":30}');
  });

  it('each cron pass calls the callback exactly once; ONGOING and errors change nothing (no backoff); the last one ends it', async () => {
    const w = wf('wo', { retry_interval: 1 }, '');
    bs.on('/wo/resume', async (call, nth) => {
      if (nth <= 3) return nth === 2 ? ERROR500 : ONGOING;
      await endWorkflow(dtx.api, call.query.gid!, 'failed', { reason: 'compensated FAILURE' });
      return { status: 409, body: '{"dtm_result":"FAILURE"}' };
    });
    await prepareWorkflow(dtx.api, w);
    await waitFor(() => eventTypes(dtx.api, w.gid), (ev) => ev.includes('BranchOngoing'), 15_000, 'the first pass');
    for (let pass = 2; pass <= 3; pass++) {
      await nextPass(w, pass);
      expect(resumes(w)).toHaveLength(pass);
      const q = await query(dtx.api, w.gid);
      expect([q.transaction?.status, q.transaction?.next_cron_interval]).toEqual(['prepared', 1]);
    }
    // the last callback ends the workflow before it answers: its answer comes after the end and is not recorded
    expect((await post(dtx.api, 'resetNextCronTime', { gid: w.gid })).status).toBe(200);
    await waitStatus(dtx.api, w.gid, 'failed');
    expect(resumes(w)).toHaveLength(4);
    // no input: GET without a body (spec §7.7)
    expect(resumes(w).map((c) => [c.method, c.body])).toEqual(Array(4).fill(['GET', '']));
    expect(await eventsUntil(w, 'TransSubmitted')).toEqual(['TransCreated', 'CronFired', 'BranchOngoing', 'CronReset', 'CronFired', 'BranchErrored', 'CronReset', 'CronFired', 'BranchOngoing', 'CronReset', 'CronFired', 'TransSubmitted']);
  });

  it('progress conflicts, late calls and operator calls answer as dtm (or dtx’s documented fix)', async () => {
    const w = wf('wc');
    await prepareWorkflow(dtx.api, w);
    expect((await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed', 'x')).status).toBe(200);
    expect((await recordProgress(dtx.api, w.gid, '01', 'action', 'succeed', 'x')).status).toBe(200);
    const conflict = await recordProgress(dtx.api, w.gid, '01', 'action', 'failed', 'x');
    expect([conflict.status, conflict.body.code]).toEqual([409, 'DTX_DUPLICATE_BRANCH']);
    const abort = await post(dtx.api, 'abort', { gid: w.gid, trans_type: 'workflow' });
    expect([abort.status, abort.body.message]).toEqual([409, "trans type: 'workflow' current status 'prepared', cannot abort. FAILURE"]);
    expect((await post(dtx.api, 'forceStop', { gid: w.gid })).status).toBe(200);
    expect((await query(dtx.api, w.gid)).transaction?.status).toBe('failed');
    expect((await endWorkflow(dtx.api, w.gid, 'succeed')).status).toBe(409);
    expect((await recordProgress(dtx.api, w.gid, '02', 'action', 'succeed')).body.message).toBe(`no trans with gid: ${w.gid} status: prepared found FAILURE`);
    const unknown = await endWorkflow(dtx.api, gidOf('nobody'), 'succeed');
    expect([unknown.status, unknown.body.code]).toEqual([500, 'DTX_TRANS_NOT_FOUND']);
  });

  it.each([
    ['no gid', { ...bad(), gid: undefined }, /^gid is required$/],
    ['another trans_type', { ...bad(), trans_type: 'saga' }, /^trans_type: prepareWorkflow takes trans_type workflow/],
    ['no custom_data', { ...bad(), custom_data: undefined }, /^custom_data: a workflow needs/],
    ['custom_data without a name', { ...bad(), custom_data: '{"data":null}' }, /^custom_data\.name must be/],
    ['input that is not base64', { ...bad(), custom_data: '{"data":"%%","name":"x"}' }, /^custom_data\.data must be standard base64/],
    ['an uncallable callback', { ...bad(), query_prepared: 'ftp://x/resume' }, /^query_prepared: scheme 'ftp:'/],
    ['steps', { ...bad(), steps: [{ action: '' }], payloads: ['{}'] }, /^steps: a workflow transaction takes no steps/],
  ])('bad prepareWorkflow input → 400 naming the field, nothing stored: %s', async (_n, body, message) => {
    const r = await post(dtx.api, 'prepareWorkflow', body);
    expect([r.status, r.body.code]).toEqual([400, 'DTX_BAD_REQUEST']);
    expect(String(r.body.message)).toMatch(message);
    if (typeof body.gid === 'string') expect((await query(dtx.api, body.gid)).transaction).toBeNull();
  });
});
