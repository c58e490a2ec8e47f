import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor, waitStatus, type ApiReply } from '../support/dtm-client.js';

/**
 * SIGTERM/SIGINT on the real process: stop accepting, answer the clients waiting on wait_result
 * (their result if the pass settles during the grace, else 503 DTX_SHUTTING_DOWN, retryable),
 * finish appends, exit 0; a second signal exits at once. What was accepted goes on after a restart.
 */
let bs: BranchServer;
const procs: DtxProcess[] = [];
beforeAll(async () => {
  bs = await BranchServer.start();
});
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await bs?.close();
});

async function start(dataDir = tempDir('dtx-stop-')): Promise<DtxProcess> {
  // RequestTimeout above the slow branch's delay: the call is in flight, not timed out, when the signal comes
  const p = await startDtx({ dataDir, env: { REQUEST_TIMEOUT: '30' } });
  procs.push(p);
  return p;
}

/** Submits a one-step saga with wait_result and resolves once dtx has called its action. */
async function pendingSubmit(dtx: DtxProcess, action: string): Promise<{ gid: string; answer: Promise<ApiReply> }> {
  const gid = gidOf('stop');
  const answer = post(dtx.api, 'submit', saga(gid, [{ action: bs.url(action), compensate: bs.url('/stop/comp') }], { wait_result: true }));
  await waitFor(async () => bs.callsTo(action, gid).length, (n) => n > 0, 20_000, `dtx to call ${action}`);
  return { gid, answer };
}

describe('graceful shutdown', () => {
  it('a wait_result client whose pass settles during the stop gets its result; exit 0', async () => {
    bs.on('/stop/slow', { delayMs: 1500 });
    const dtx = await start();
    const { gid, answer } = await pendingSubmit(dtx, '/stop/slow');
    dtx.proc.kill('SIGTERM');
    const reply = await answer;
    expect([reply.status, reply.body.dtm_result]).toEqual([200, 'SUCCESS']);
    expect(await dtx.exited).toEqual({ code: 0, signal: null });
    expect(dtx.logs.some((l) => l.includes('"msg":"stopping'))).toBe(true);
    // the result was appended before the exit: a restart finds the saga finished
    const again = await start(dtx.dataDir);
    expect((await waitStatus(again.api, gid, 'succeed', 5000)).transaction?.status).toBe('succeed');
    await again.kill();
  });

  it('a wait_result client whose pass outlasts the grace gets 503 DTX_SHUTTING_DOWN; the saga finishes after restart', async () => {
    bs.on('/stop/stuck', (_call, nth) => (nth === 1 ? { delayMs: 9000 } : {}));
    const dtx = await start();
    const { gid, answer } = await pendingSubmit(dtx, '/stop/stuck');
    dtx.proc.kill('SIGTERM');
    const reply = await answer; // after the 5 s grace; the branch would answer at 9 s
    expect(reply.status).toBe(503);
    expect(reply.body.code).toBe('DTX_SHUTTING_DOWN');
    expect((await dtx.exited).code).toBe(0);
    // the call whose result was never recorded is re-driven by recovery
    const again = await start(dtx.dataDir);
    await waitStatus(again.api, gid, 'succeed', 20_000);
    expect(bs.callsTo('/stop/stuck', gid).length).toBe(2);
    await again.kill();
  });

  it('new calls during the stop are refused retryable, and a second signal exits at once', async () => {
    bs.on('/stop/hang', { delayMs: 9000 });
    const dtx = await start();
    const { answer } = await pendingSubmit(dtx, '/stop/hang');
    const outcome = answer.then((r) => `answered ${r.status}`, () => 'cut');
    const keepAlive = await fetch(`${dtx.api}/newGid`); // a pooled connection the stop must not hang on
    expect(keepAlive.status).toBe(200);
    dtx.proc.kill('SIGTERM');
    await waitFor(async () => dtx.logs.some((l) => l.includes('"msg":"stopping')), (b) => b, 10_000, 'the stopping line');
    const during = await post(dtx.api, 'submit', saga(gidOf('late'), [{ action: bs.url('/stop/x'), compensate: bs.url('/stop/y') }])).catch(() => undefined);
    // either the listener is closed already, or the engine refuses: never accepted, never a hang
    if (during !== undefined) expect([during.status, during.body.code]).toEqual([503, 'DTX_SHUTTING_DOWN']);
    const t0 = Date.now();
    dtx.proc.kill('SIGINT');
    expect(await dtx.exited).toEqual({ code: 130, signal: null });
    expect(Date.now() - t0).toBeLessThan(3000); // not the 5 s grace
    expect(await outcome).toBe('cut'); // exiting at once means not waiting for the pass
  });
});
