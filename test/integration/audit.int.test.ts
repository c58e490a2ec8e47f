import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, FAILURE } from '../support/branch-server.js';
import { get, gidOf, post, saga } from '../support/dtm-client.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');

async function replay(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, 'replay', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Audit replay: timeline, verification against the reported state, divergence detection. */
let dtx: DtxProcess;
let bs: BranchServer;
const dataDir = tempDir('dtx-audit-');
const ok = gidOf('aud-ok');
const bad = gidOf('aud-rb');
beforeAll(async () => {
  [dtx, bs] = await Promise.all([startDtx({ dataDir }), BranchServer.start()]);
  bs.on('/au/b2', FAILURE);
  const steps = (p: string) => [{ action: bs.url(`/au/${p}1`), compensate: bs.url('/au/c1') }, { action: bs.url(`/au/${p}2`), compensate: bs.url('/au/c2') }];
  await post(dtx.api, 'submit', saga(ok, steps('a'), { wait_result: true }));
  await post(dtx.api, 'submit', saga(bad, steps('b'), { wait_result: true }));
});
afterAll(async () => {
  await dtx?.kill();
  await bs?.close();
});

describe('audit replay', () => {
  it('GET /api/dtx/history gives the events, a timeline and a verified fold', async () => {
    const h = (await get(`http://127.0.0.1:${dtx.port}/api/dtx`, `history?gid=${bad}`)).body as Record<string, unknown>;
    expect(h.verified).toBe(true);
    expect(h.status).toBe('failed');
    const timeline = h.timeline as Array<{ event: string; branch?: string; op?: string; status: string; durationMs?: number }>;
    expect(timeline.map((e) => [e.event, e.branch ?? '', e.op ?? '', e.status])).toEqual([
      ['TransCreated', '', '', 'submitted'],
      ['BranchSucceeded', '01', 'action', 'submitted'],
      ['BranchFailed', '02', 'action', 'aborting'],
      ['BranchSucceeded', '02', 'compensate', 'aborting'],
      ['BranchSucceeded', '01', 'compensate', 'failed'],
    ]);
    expect(timeline[1]!.durationMs).toBeGreaterThanOrEqual(0);
    const events = h.events as Array<{ seq: number }>;
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await get(`http://127.0.0.1:${dtx.port}/api/dtx`, 'history?gid=unknown')).status).toBe(404);
    expect((await get(`http://127.0.0.1:${dtx.port}/api/dtx`, 'history')).status).toBe(400);
  });

  it('dtx replay --server prints the timeline and exits 0 when verified', async () => {
    const r = await replay([ok, '--server', `http://127.0.0.1:${dtx.port}`], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('BranchSucceeded');
    expect(r.stdout).toContain('verified: replaying 3 events gives the state dtx reports (succeed)');
    // offline replay of a data dir that a running dtx owns is refused (a usage error naming --server), never read half-way
    const offline = await replay([ok], { STORE_DATA_DIR: dataDir });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain('is in use by a running dtx');
    expect(offline.stderr).toContain('--server');
  });

  it('offline: replay --all audits everything; a tampered projection is a divergence with exit 1', async () => {
    await dtx.kill();
    const env = { STORE_DATA_DIR: dataDir };
    const all = await replay(['--all', '--json'], env);
    expect(all.code).toBe(0);
    const summary = JSON.parse(all.stdout) as { transactions: number; verified: number; events: number; eventsPerSecond: number };
    expect(summary.transactions).toBe(2);
    expect(summary.verified).toBe(2);
    expect(summary.events).toBe(8);

    const db = new Database(path.join(dataDir, 'dtx.db'));
    const row = db.prepare('SELECT view FROM transactions WHERE gid = ?').get(ok) as { view: string };
    db.prepare('UPDATE transactions SET view = ? WHERE gid = ?').run(row.view.replace('"status":"succeed"', '"status":"failed"'), ok);
    db.close();
    const one = await replay([ok], env);
    expect(one.code).toBe(1);
    expect(one.stdout).toContain('DIVERGENCE');
    expect(one.stdout).toContain('$.transaction.status');
    expect((await replay(['--all'], env)).code).toBe(1);
    expect((await replay(['no-such-gid'], env)).code).toBe(3);
  });
});
