import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveExpectingFailure, startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500 } from '../support/branch-server.js';
import { gidOf, post, query, saga, waitFor } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';
import { createV1Log, markSchemaVersion, schemaOf } from '../support/sqlite-v1-log.js';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';

/**
 * `dtx prune` on the real binary and a log the real dtx wrote: refused while dtx runs; offline it
 * deletes the finished transactions that last changed before the cutoff and keeps the rest whole;
 * a restarted dtx no longer knows the pruned gids and takes one again as a new transaction. And
 * Store.PruneFinishedAfter, the same while the real process serves.
 */
const dtx = (args: string[], env: Record<string, string> = {}) => runDtx(args, env, 60_000);

const dataDir = tempDir('dtx-prune-cli-');
const done = [gidOf('prune-ok'), gidOf('prune-ok')];
const open = gidOf('prune-open');
let server: DtxProcess | undefined;
let bs: BranchServer;

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/pr/stuck', ERROR500);
  server = await startDtx({ dataDir });
  const steps = (p: string) => [{ action: bs.url(`/pr/${p}`), compensate: bs.url('/pr/c') }];
  for (const gid of done) expect((await post(server.api, 'submit', saga(gid, steps('a'), { wait_result: true }))).status).toBe(200);
  expect((await post(server.api, 'submit', saga(open, steps('stuck')))).status).toBe(200);
});
afterAll(async () => {
  await server?.kill();
  await bs?.close();
});

describe('dtx prune', () => {
  it('refuses while dtx runs on the data dir', async () => {
    const r = await dtx(['prune', '--finished-before', '0s', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`a running dtx owns ${dataDir}: stop it first`);
  });

  it('refuses bad input, a data dir without a log and other stores with exit 2', async () => {
    const bad = await dtx(['prune', '--finished-before', 'yesterday', '--data-dir', dataDir]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("--finished-before 'yesterday' is neither an age")]);
    const missing = await dtx(['prune', '--data-dir', dataDir]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("required option '--finished-before <time>'")]);
    const kafka = await dtx(['prune', '--finished-before', '0s'], { STORE_DRIVER: 'kafka', STORE_KAFKA_BROKERS: '127.0.0.1:1' });
    expect([kafka.code, kafka.stderr]).toEqual([2, expect.stringContaining('prune works on the embedded log')]);
    const future = await dtx(['prune', '--finished-before', '2999-01-01', '--data-dir', dataDir]);
    expect([future.code, future.stderr]).toEqual([2, expect.stringContaining('is in the future')]);
    const v1 = tempDir('dtx-prune-v1-');
    createV1Log(v1, 'append-order');
    const old = await dtx(['prune', '--finished-before', '0s', '--dry-run', '--data-dir', v1]);
    expect([old.code, old.stderr]).toEqual([2, expect.stringContaining('is a version 1 log: start this dtx once on it')]);
    expect(schemaOf(v1, 'events').version).toBe('1'); // not converted
    // a version 2 log would be marked version 3 by opening it: a dry run refuses it too
    const v2 = tempDir('dtx-prune-v2-');
    await SqliteEventLog.open({ dir: v2, syncCommit: false }).close();
    markSchemaVersion(v2, '2');
    const older = await dtx(['prune', '--finished-before', '0s', '--dry-run', '--data-dir', v2]);
    expect([older.code, older.stderr]).toEqual([2, expect.stringContaining('is a version 2 log: start this dtx once on it')]);
    expect(schemaOf(v2, 'events').version).toBe('2');
    const empty = tempDir('dtx-prune-empty-');
    const none = await dtx(['prune', '--finished-before', '0s', '--data-dir', empty]);
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining(`${empty} holds no dtx log`)]);
  });

  it('offline: prunes what finished before the cutoff, keeps the rest whole; a restarted dtx takes a pruned gid anew', async () => {
    await server!.kill();
    server = undefined;
    const dry = await dtx(['prune', '--finished-before', '0s', '--dry-run', '--data-dir', dataDir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would prune 2 finished transactions \(\d+ events, 0 stored states\) last changed before /);
    const recent = await dtx(['prune', '--finished-before', '1h', '--data-dir', dataDir]);
    expect(recent.stdout).toMatch(/^pruned 0 finished transactions/);
    const r = await dtx(['prune', '--finished-before', '0s', '--vacuum'], { STORE_DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^pruned 2 finished transactions \\(\\d+ events, 0 stored states\\) last changed before .* from ${path.join(dataDir, 'dtx.db')}\\n`));
    expect(r.stdout).toMatch(/\nvacuumed: \d+ -> \d+ bytes\n$/);

    const audit = await dtx(['replay', '--all', '--data-dir', dataDir]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('audited 1 transactions');
    expect(audit.stdout).toContain('verified 1, divergent 0, failed 0');

    server = await startDtx({ dataDir });
    expect((await query(server.api, done[0]!)).transaction ?? null).toBeNull();
    expect((await query(server.api, open)).transaction?.status).toBe('submitted');
    // the pruned gid is free: a new saga under it runs from its first step
    expect((await post(server.api, 'submit', saga(done[0]!, [{ action: bs.url('/pr/again'), compensate: bs.url('/pr/c') }], { wait_result: true }))).status).toBe(200);
    await waitFor(() => query(server!.api, done[0]!), (q) => q.transaction?.status === 'succeed', 30_000, 'the new saga under the pruned gid');
    expect(bs.callsTo('/pr/again', done[0])).toHaveLength(1);
  });
});

describe('Store.PruneFinishedAfter', () => {
  let live: DtxProcess | undefined;
  beforeAll(async () => {
    bs.on('/po/stuck', ERROR500);
    live = await startDtx({ env: { STORE_PRUNE_FINISHED_AFTER: '1' } });
  });
  afterAll(async () => {
    await live?.kill();
  });
  const steps = (p: string) => [{ action: bs.url(`/po/${p}`), compensate: bs.url('/po/c') }];

  it('deletes finished transactions while dtx serves; open ones stay and are still driven; a pruned gid starts anew', async () => {
    const api = live!.api;
    const finished = [gidOf('po-done'), gidOf('po-done')];
    const stuck = gidOf('po-open');
    for (const gid of finished) expect((await post(api, 'submit', saga(gid, steps('a'), { wait_result: true }))).status).toBe(200);
    expect((await post(api, 'submit', saga(stuck, steps('stuck')))).status).toBe(200);
    for (const gid of finished) expect((await query(api, gid)).transaction?.status).toBe('succeed');
    // gone once a round after the retention ran: dtm's answer for an unknown gid
    for (const gid of finished) await waitFor(() => query(api, gid), (q) => q.transaction === null, 30_000, `${gid} pruned`);
    expect(live!.logs.some((l) => l.includes('"pruned finished transactions"'))).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${live!.port}/api/metrics`)).text();
    expect(Number(/^dtx_pruned_transactions_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(finished.length);
    expect((await query(api, stuck)).transaction?.status).toBe('submitted');
    const callsBefore = bs.callsTo('/po/stuck', stuck).length;
    await waitFor(async () => bs.callsTo('/po/stuck', stuck).length, (n) => n > callsBefore, 60_000, 'the open saga retried');
    expect((await post(api, 'submit', saga(finished[0]!, steps('a'), { wait_result: true }))).status).toBe(200);
    expect((await query(api, finished[0]!)).transaction?.status).toBe('succeed');
  });

  it('is refused on the Kafka log, naming the key', async () => {
    const r = await serveExpectingFailure({ STORE_DRIVER: 'kafka', STORE_KAFKA_BROKERS: '127.0.0.1:1', STORE_PRUNE_FINISHED_AFTER: '60' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Store.PruneFinishedAfter.*must be 0 with Store.Driver kafka/);
  });
});
