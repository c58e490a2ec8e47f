import { durableSuccesses, readSqliteEvents } from '../support/sqlite-events.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, FAILURE, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, rows, waitFor, type QueryResult } from '../support/dtm-client.js';

/**
 * The quorum example type loaded from config (`TRANS_TYPES`) into the real dtx process: submitted
 * over HTTP to real branch servers, dtx SIGKILLed while results are partly durable and slow calls
 * are in flight, restarted on the same data dir; every transaction finishes with the right rows,
 * and no branch call whose success was durable is made again. A module that breaks purity stops
 * `dtx serve` with an error naming it.
 */
const QUORUM_MODULE = path.resolve(import.meta.dirname, '../../dist/examples/quorum/index.js');
const env = { TRANS_TYPES: QUORUM_MODULE };

let bs: BranchServer;
let dtx: DtxProcess | undefined;
beforeAll(async () => {
  bs = await BranchServer.start();
});
afterAll(async () => {
  await dtx?.kill();
  await bs.close();
});

function quorumBody(gid: string, k: number): Record<string, unknown> {
  const steps = [1, 2, 3, 4].map((i) => ({ action: bs.url(`/q/a${i}`), compensate: bs.url(`/q/c${i}`) }));
  return { gid, trans_type: 'quorum', steps, payloads: steps.map((_, i) => `{"step":${i + 1}}`), custom_data: JSON.stringify({ quorum: k }) };
}

describe('quorum custom type end to end', () => {
  it('finishes K-of-N transactions after SIGKILL mid-flight without re-calling durable successes', async () => {
    // a1 fast, a2 slower, a3 fails, a4 slow (in flight at the kill); compensations succeed.
    bs.on('/q/a1', { ...SUCCESS, delayMs: 50 })
      .on('/q/a2', { ...SUCCESS, delayMs: 250 })
      .on('/q/a3', { ...FAILURE, delayMs: 100 })
      .on('/q/a4', { ...SUCCESS, delayMs: 2000 });
    for (const i of [1, 2, 3, 4]) bs.on(`/q/c${i}`, { ...SUCCESS, delayMs: 50 });
    const dataDir = tempDir('dtx-quorum-');
    dtx = await startDtx({ dataDir, env });
    expect(dtx.logs.some((l) => l.includes('"custom trans type loaded"') && l.includes('"transType":"quorum"'))).toBe(true);

    const reach = Array.from({ length: 6 }, () => gidOf('quorum-ok')); // K=2: a1+a2 win, a3 fails, a4 is compensated
    const miss = Array.from({ length: 6 }, () => gidOf('quorum-miss')); // K=4: a3 fails → abort, undo a1, a2, a4
    const replies = await Promise.all([...reach.map((g) => post(dtx!.api, 'submit', quorumBody(g, 2))), ...miss.map((g) => post(dtx!.api, 'submit', quorumBody(g, 4)))]);
    for (const r of replies) expect(r.body).toEqual({ dtm_result: 'SUCCESS' });

    // Kill once every a2 success is durable while every a4 call is still in flight.
    const all = [...reach, ...miss];
    // `query` reads the projection written with the events: a row shown succeed is durable.
    await waitFor(
      () => Promise.all(all.map((g) => query(dtx!.api, g))),
      (qs) => qs.every((q) => q.branches[3]?.status === 'succeed'),
      15_000,
      'a2 successes to be durable',
    );
    await dtx.kill('SIGKILL');
    const killedAt = Date.now();
    const before = readSqliteEvents(dataDir);
    const durable = durableSuccesses(before);
    expect(durable.size).toBeGreaterThanOrEqual(all.length * 2); // a1 and a2 of every transaction
    expect(before.some((e) => e.type === 'BranchSucceeded' && e.data.includes('"branchId":"04"'))).toBe(false); // a4 was in flight

    dtx = await startDtx({ dataDir, env });
    const done = await waitFor(
      () => Promise.all(all.map((g) => query(dtx!.api, g))),
      (qs) => qs.every((q) => q.transaction?.status === 'succeed' || q.transaction?.status === 'failed'),
      30_000,
      'every quorum transaction to finish after restart',
    );
    const byGid = new Map<string, QueryResult>(all.map((g, i) => [g, done[i]!]));
    for (const g of reach) {
      const q = byGid.get(g)!;
      expect(q.transaction).toMatchObject({ status: 'succeed', trans_type: 'quorum', gid: g });
      // [c1,a1,c2,a2,c3,a3,c4,a4]: winners 01 and 02 stay, 03 failed, 04 compensated
      expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed', 'prepared', 'failed', 'succeed', 'succeed']);
    }
    for (const g of miss) {
      const q = byGid.get(g)!;
      expect(q.transaction).toMatchObject({ status: 'failed', trans_type: 'quorum' });
      expect(q.transaction?.rollback_reason).toContain('quorum 4 of 4 unreachable');
      expect(rows(q)).toEqual(['succeed', 'succeed', 'succeed', 'succeed', 'prepared', 'failed', 'succeed', 'succeed']);
    }

    const after = bs.calls.filter((c) => c.at > killedAt);
    expect(after.filter((c) => c.path === '/q/a4').length).toBe(all.length); // the in-flight calls were re-driven
    expect(after.filter((c) => durable.has(`${c.query.gid}/${c.query.branch_id}/${c.query.op}`))).toEqual([]);
    expect(after.every((c) => c.query.trans_type === 'quorum')).toBe(true);

    await dtx.kill('SIGTERM');
    dtx = undefined;
    const final = readSqliteEvents(dataDir);
    for (const g of all) {
      const seqs = final.filter((e) => e.gid === g).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it('refuses a trans type module that breaks purity: dtx serve exits non-zero naming the module', async () => {
    const dir = tempDir('dtx-impure-');
    const bad = path.join(dir, 'impure-type.mjs');
    writeFileSync(bad, "import { readFileSync } from 'node:fs';\nexport const transType = { name: 'impure', machine: readFileSync };\n");
    const dataDir = tempDir('dtx-impure-data-');
    const err = await startDtx({ dataDir, env: { TRANS_TYPES: bad } }).then(
      (p) => {
        dtx = p;
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/dtx exited with code [1-9]\d* before listening/);
    expect(err?.message).toContain(`trans type module '${bad}' refused`);
    expect(err?.message).toContain("imports 'node:fs': machines must stay pure");
  });
});
