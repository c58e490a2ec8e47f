import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, FAILURE } from '../support/branch-server.js';
import { get, gidOf, post, query, saga } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';

/**
 * Sagas with long payloads on the real process: the log stores their views packed, each payload
 * once (src/log/packed-view.ts), and every reader gives dtm's text back as it was sent: query
 * (before and after a restart), all, the branch calls, and `dtx replay --all`.
 */
const dataDir = tempDir('dtx-long-payloads-');
const sagas = Array.from({ length: 8 }, (_, i) => ({
  gid: gidOf(`long-${i}`),
  // long, distinct, with characters JSON escapes and characters outside ASCII
  payloads: [0, 1].map((s) => JSON.stringify({ saga: i, step: s, note: `"quoted"\n\\ é中😀 ${String(i).repeat(3000 + 500 * s)}` })),
  fails: i % 4 === 3,
}));
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
let dtx: DtxProcess;
let bs: BranchServer;

beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx({ dataDir }), BranchServer.start()]);
  bs.on('/lp/fail', FAILURE);
  for (const s of sagas) {
    const steps = [
      { action: bs.url('/lp/a1'), compensate: bs.url('/lp/c1') },
      { action: bs.url(s.fails ? '/lp/fail' : '/lp/a2'), compensate: bs.url('/lp/c2') },
    ];
    const r = await post(dtx.api, 'submit', saga(s.gid, steps, { payloads: s.payloads, wait_result: true }));
    expect(r.status, s.gid).toBe(s.fails ? 409 : 200);
  }
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

async function expectQueriesAsSent(): Promise<void> {
  for (const s of sagas) {
    const q = await query(dtx.api, s.gid);
    expect(q.transaction?.status).toBe(s.fails ? 'failed' : 'succeed');
    expect(q.transaction?.payloads).toEqual(s.payloads);
    const bins = q.branches.map((b) => [b.branch_id, b.op, b['bin_data']]);
    expect(bins).toEqual(expect.arrayContaining([['01', 'compensate', b64(s.payloads[0]!)], ['01', 'action', b64(s.payloads[0]!)], ['02', 'action', b64(s.payloads[1]!)]]));
  }
}

describe('long payloads', () => {
  it('are called, queried and listed as they were sent', async () => {
    for (const s of sagas) {
      expect(bs.callsTo('/lp/a1', s.gid).map((c) => c.body)).toEqual([s.payloads[0]]);
      if (s.fails) expect(bs.callsTo('/lp/c1', s.gid).map((c) => c.body)).toEqual([s.payloads[0]]);
    }
    await expectQueriesAsSent();
    const listed = (await get(dtx.api, 'all?limit=100')).body as { transactions: Array<{ gid: string; payloads: string[] }> };
    for (const s of sagas) expect(listed.transactions.find((t) => t.gid === s.gid)?.payloads).toEqual(s.payloads);
  });

  it('are stored once in the view, read back after a restart, and verified by replay', async () => {
    const dtmText = JSON.stringify(await query(dtx.api, sagas[0]!.gid));
    await dtx.kill('SIGKILL');
    const db = new Database(path.join(dataDir, 'dtx.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT view FROM transactions WHERE gid = ?').get(sagas[0]!.gid) as { view: string };
      expect(row.view.startsWith('\u0001')).toBe(true);
      expect(row.view.split(b64(sagas[0]!.payloads[0]!))).toHaveLength(2);
      expect(row.view.length).toBeLessThan(dtmText.length / 2);
    } finally {
      db.close();
    }
    const replay = await runDtx(['replay', '--all', '--json'], { STORE_DATA_DIR: dataDir }, 60_000);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ transactions: sagas.length, verified: sagas.length });
    dtx = await startDtx({ dataDir });
    await expectQueriesAsSent();
  });
});
