import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, waitFor } from '../support/dtm-client.js';
import { explainedServerError, type FuzzAnswer } from './answer-rules.js';
import { fuzzPlan, progress } from './fuzz-plan.js';
import { queryRequest, rawRequest, transRequest, type FuzzRequest } from './fuzz-requests.js';
import { FuzzTarget } from './fuzz-target.js';
import { actionPaths, runnerCase, type RunnerCase } from './runner-transactions.js';
import { forceStopOpen, inBatches, settleAll, type SettleReport } from './settle-transactions.js';
import { toJsonText } from './fuzz-values.js';
import { callSequence } from './fuzz-sequences.js';
import { preparedForBranches, topicAndBranchRequest } from './fuzz-topic-requests.js';

/**
 * Property-based fuzz of the HTTP API of the real `dtx serve` process (DEVELOPMENT.md, test/fuzz):
 * every answer is 2xx, a 4xx naming the field, or an explained 5xx; the process never exits and
 * answers /api/ping after every case; valid transactions finish as their branches decide; at the
 * end every transaction finishes or is ended by forceStop and replays from its events.
 */
const plan = fuzzPlan(process.env);
const budget = (cases: number, msPerCase: number) => 60_000 + cases * msPerCase;
let target: FuzzTarget;
let settled: SettleReport | undefined;
let done = 0;
const started = Date.now();

beforeAll(async () => {
  target = await FuzzTarget.start();
  progress(`seed ${plan.seed}, ${plan.total} cases (runner ${plan.runner}, bodies ${plan.bodies}, sequences ${plan.sequences}, raw ${plan.raw}, queries ${plan.queries}, topics ${plan.topics}); reproduce with FUZZ_SEED=${plan.seed} FUZZ_RUNS=${plan.total}`);
});
afterAll(async () => {
  if (target === undefined) return;
  const s = settled;
  const lines = [target.tally.render(`fuzz seed ${plan.seed}, ${Math.round((Date.now() - started) / 1000)} s`)];
  if (s) lines.push(`  settlement: ${s.total} transactions; finished by themselves ${JSON.stringify(s.finishedAlone)}; ended by forceStop ${s.forceStopped}; history verified ${s.verified}`);
  lines.push(`  dtx error/fatal log lines: ${target.errorLines.length}`);
  progress(lines.join('\n'));
  await target.close();
});

/** One case: sends the request and checks every per-case property (throws naming the case). */
async function oneCase(property: string, req: FuzzRequest): Promise<FuzzAnswer> {
  target.tally.countCase(property);
  const answer = await target.exercise(req);
  await tick();
  return answer;
}

async function tick(): Promise<void> {
  done += 1;
  if (plan.progressEvery > 0 && done % plan.progressEvery === 0) progress(`${done}/${plan.total} cases, ${Math.round((Date.now() - started) / 1000)} s, ${target.accepted.size} transactions accepted`);
  // never while runner transactions are still expected to finish by themselves
  if (plan.sweepEvery > 0 && runnersChecked && done % plan.sweepEvery === 0) {
    const sweep = await forceStopOpen(target);
    target.tally.note('ended by forceStop in sweeps during the run', sweep.stopped);
    expect(sweep.problems).toEqual([]);
  }
}

const options = (numRuns: number, salt: number): fc.Parameters<unknown> => ({ numRuns, seed: (plan.seed + salt) | 0, verbose: 1 });
const runners: Array<RunnerCase & { gid: string }> = [];
const RESULT_EVENTS = new Set(['BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored']);

async function historyEvents(t: FuzzTarget, gid: string): Promise<Array<{ type: string; data: { branchId?: string; op?: string } }>> {
  const res = await fetch(`${t.base}/api/dtx/history?gid=${encodeURIComponent(gid)}`);
  return ((await res.json()) as { events: Array<{ type: string; data: { branchId?: string; op?: string } }> }).events;
}
let runnersChecked = false;

describe(`HTTP API fuzz (seed ${plan.seed})`, () => {
  it('valid transactions against random branch answers are accepted and finish as their branches decide', { timeout: budget(plan.runner, 400) }, async () => {
    await fc.assert(
      fc.asyncProperty(runnerCase(target.targets), async (c) => {
        const gid = `${c.stem}-${runners.length}`;
        const json = { gid, ...c.body };
        const request = (route: string): FuzzRequest => ({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body: toJsonText(json), json });
        target.tally.countCase('runner');
        if (c.kind !== 'saga' && c.kind !== 'msg') expect((await target.exercise(request('prepare'))).status).toBe(200);
        if (c.kind !== 'msg-query-back') {
          const submit = request('submit');
          const answer = await target.exercise(submit);
          // wait_result answers the pass's outcome: 409/425, or dtm's 500 relaying a branch error
          const passOutcome = c.body.wait_result === true && ([409, 425].includes(answer.status) || explainedServerError(submit, answer) !== undefined);
          expect(answer.status === 200 || passOutcome, `answer ${answer.status} ${answer.text}`).toBe(true);
        }
        runners.push({ ...c, gid });
        await tick();
      }),
      options(plan.runner, 1),
    );
    await inBatches(runners, 8, async (r) => {
      const q = await waitFor(() => query(target.dtx.api, r.gid), (v) => v.transaction?.status === 'succeed' || v.transaction?.status === 'failed', 60_000, `${r.gid} to finish`);
      expect({ gid: r.gid, kind: r.kind, paths: actionPaths(r.body), status: q.transaction?.status }).toEqual({ gid: r.gid, kind: r.kind, paths: actionPaths(r.body), status: r.expected });
      // an action that answers SUCCESS at once is called once per result dtx recorded: once, or
      // again only after a recorded ERROR (a call timed out on a loaded machine), never more
      const calls = target.branches.callsOf(r.gid);
      const events = await historyEvents(target, r.gid);
      for (const i of r.onceActions) {
        const id = String(i + 1).padStart(2, '0');
        const results = events.filter((e) => RESULT_EVENTS.has(e.type) && e.data.branchId === id && e.data.op === 'action').map((e) => e.type);
        const n = calls.filter((c) => c.query.op === 'action' && c.query.branch_id === id).length;
        expect({ gid: r.gid, branch: id, calls: n, results }).toEqual({ gid: r.gid, branch: id, calls: results.length, results: [...results.slice(0, -1).map(() => 'BranchErrored'), 'BranchSucceeded'] });
        if (n > 1) target.tally.note('runner actions called again after a timed-out call', 1);
      }
    });
    target.tally.note('runner transactions finished as expected', runners.length);
    runnersChecked = true;
  });

  it('transaction bodies of every shape get 2xx or a 4xx naming the field; dtx stays up', { timeout: budget(plan.bodies, 60) }, async () => {
    await fc.assert(fc.asyncProperty(transRequest(target.targets), async (req) => {
      await oneCase('bodies', req);
    }), options(plan.bodies, 2));
  });

  it('calls on one gid, in sequence or racing, keep the contract', { timeout: budget(plan.sequences, 300) }, async () => {
    await fc.assert(fc.asyncProperty(callSequence(target.targets), async (seq) => {
      target.tally.countCase('sequences');
      if (seq.parallel) await Promise.all(seq.requests.map((r) => target.exercise(r)));
      else for (const r of seq.requests) await target.exercise(r);
      await tick();
    }), options(plan.sequences, 5));
  });

  it('raw, non-JSON and oversize bodies with odd content headers get a 4xx naming the body', { timeout: budget(plan.raw, 60) }, async () => {
    await fc.assert(fc.asyncProperty(rawRequest, async (req) => {
      await oneCase('raw', req);
    }), options(plan.raw, 3));
  });

  it('query strings of query/all/resetCronTime/history get 2xx or a 4xx naming the parameter', { timeout: budget(plan.queries, 40) }, async () => {
    await fc.assert(fc.asyncProperty(queryRequest, async (req) => {
      await oneCase('queries', req);
    }), options(plan.queries, 4));
    target.branches.forgetCalls();
  });

  it('topic and KV routes, registerBranch and prepareWorkflow get 2xx, a 4xx naming the field or dtm\'s 500; dtx stays up', { timeout: budget(plan.topics, 60) }, async () => {
    for (const json of preparedForBranches()) {
      const answer = await target.exercise({ route: 'prepare', method: 'POST', path: '/api/dtmsvr/prepare', body: toJsonText(json), json });
      expect(answer.status).toBe(200);
    }
    await fc.assert(fc.asyncProperty(topicAndBranchRequest(target.targets), async (req) => {
      await oneCase('topics', req);
    }), options(plan.topics, 6));
  });

  it('every transaction finishes or is ended by forceStop, and its events replay to its state', { timeout: budget(plan.total, 30) + 60_000 }, async () => {
    settled = await settleAll(target, 5_000);
    expect(settled.problems).toEqual([]);
    expect(settled.verified).toBe(settled.total);
    expect(settled.total).toBeGreaterThanOrEqual(target.accepted.size);
    expect(await target.deadReason()).toBeUndefined();
  });

  it('dtx logged no error or fatal line', () => {
    expect(target.errorLines).toEqual([]);
  });
});
