import { durableSuccesses, readSqliteEvents } from '../support/sqlite-events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, saga, waitFor } from '../support/dtm-client.js';

/**
 * SIGKILL dtx while sagas are mid-flight (slow branches), restart on the same data dir: every saga
 * finishes, and no action whose success was durable is called again (DESIGN §2, append-then-act).
 */
let bs: BranchServer;
let dtx: DtxProcess | undefined;
beforeAll(async () => {
  bs = await BranchServer.start();
});
afterAll(async () => {
  await dtx?.kill();
  await bs.close();
});

describe('crash recovery', () => {
  it('finishes every saga after SIGKILL without re-calling durable successes', async () => {
    const dataDir = tempDir('dtx-crash-');
    dtx = await startDtx({ dataDir });
    for (const p of ['/k/a1', '/k/a2', '/k/a3']) bs.on(p, { ...SUCCESS, delayMs: 120 });
    const gids = Array.from({ length: 40 }, () => gidOf('crash'));
    const steps = [1, 2, 3].map((i) => ({ action: bs.url(`/k/a${i}`), compensate: bs.url(`/k/c${i}`) }));
    await Promise.all(gids.map((gid) => post(dtx!.api, 'submit', saga(gid, steps))));
    // Kill once the sagas are mid-flight: some step results are durable, others in flight.
    await waitFor(() => Promise.resolve(bs.calls.length), (n) => n >= 50, 20_000, 'branch calls before the kill');
    await dtx.kill('SIGKILL');
    const killedAt = Date.now();

    const events = readSqliteEvents(dataDir);
    const durable = durableSuccesses(events);
    expect(durable.size).toBeGreaterThan(0);
    const finishedBefore = gids.filter((g) => events.filter((e) => e.gid === g).length === 4).length;
    expect(finishedBefore).toBeLessThan(gids.length); // the kill really hit sagas mid-flight

    dtx = await startDtx({ dataDir });
    const done = await waitFor(
      () => Promise.all(gids.map((g) => query(dtx!.api, g))),
      (qs) => qs.every((q) => q.transaction?.status === 'succeed'),
      30_000,
      'all sagas to succeed after restart',
    );
    for (const q of done) expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed', 'prepared', 'succeed']);

    expect(bs.calls.filter((c) => c.at > killedAt).length).toBeGreaterThan(0);
    const recalled = bs.calls.filter((c) => c.at > killedAt && durable.has(`${c.query.gid}/${c.query.branch_id}/${c.query.op}`));
    expect(recalled).toEqual([]);
    expect(bs.calls.filter((c) => c.path.startsWith('/k/c'))).toHaveLength(0);

    await dtx.kill('SIGTERM');
    const after = readSqliteEvents(dataDir);
    for (const gid of gids) {
      const seqs = after.filter((e) => e.gid === gid).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it('keeps retrying a waiting transaction across restarts (timer command ids never repeat)', async () => {
    const dataDir = tempDir('dtx-restart-');
    dtx = await startDtx({ dataDir });
    const gid = gidOf('restart');
    bs.on('/r/a1', (_c, nth) => (nth <= 4 ? ONGOING : SUCCESS));
    await post(dtx.api, 'submit', saga(gid, [{ action: bs.url('/r/a1'), compensate: '' }], { retry_interval: 1 }));
    await waitFor(() => Promise.resolve(bs.callsTo('/r/a1', gid).length), (n) => n >= 2, 10_000, 'two attempts before the restart');
    await dtx.kill('SIGTERM');
    dtx = await startDtx({ dataDir });
    await waitFor(() => query(dtx!.api, gid), (q) => q.transaction?.status === 'succeed', 15_000, 'success after restart');
    expect(bs.callsTo('/r/a1', gid).length).toBe(5);
  });
});
