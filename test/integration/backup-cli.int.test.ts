import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, query, saga } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';

/**
 * `dtx backup` and `dtx restore` on the real binary and logs the real dtx wrote: a backup taken
 * while dtx serves a steady stream of sagas holds every saga acknowledged before it began, and dtx
 * goes on serving meanwhile; one taken after a SIGKILL holds what was acknowledged before the kill
 * (the WAL is part of it); a restored data dir serves those transactions to a new dtx.
 */
const dtx = (args: string[], env: Record<string, string> = {}) => runDtx(args, env, 120_000);

let bs: BranchServer;
let server: DtxProcess | undefined;
const backups = tempDir('dtx-backups-');
beforeAll(async () => {
  bs = await BranchServer.start();
});
afterAll(async () => {
  await server?.kill();
  await bs?.close();
});

const steps = () => [{ action: bs.url('/bk/a'), compensate: bs.url('/bk/c') }];
/** Submits with wait_result until `stop` is set; when dtx acknowledged each (200), Date.now(). */
function steadyLoad(api: string, stop: { done: boolean }): Promise<number[]> {
  const acked: number[] = [];
  const client = async () => {
    while (!stop.done) {
      if ((await post(api, 'submit', saga(gidOf('bk-load'), steps(), { wait_result: true }))).status === 200) acked.push(Date.now());
    }
  };
  return Promise.all([client(), client(), client(), client()]).then(() => acked);
}

/** A data dir whose dtx acknowledged one saga and was SIGKILLed right after (its WAL not checkpointed). */
async function killedAfterOneSaga(prefix: string): Promise<{ acked: string; dataDir: string }> {
  await server?.kill();
  const acked = gidOf(prefix);
  server = await startDtx();
  expect((await post(server.api, 'submit', saga(acked, steps(), { wait_result: true }))).status).toBe(200);
  const dataDir = server.dataDir;
  await server.kill('SIGKILL');
  server = undefined;
  return { acked, dataDir };
}

describe('dtx backup / restore', () => {
  it('while dtx serves: the copy holds every saga acknowledged before it began, and dtx keeps serving', async () => {
    server = await startDtx();
    const before: string[] = [];
    for (let i = 0; i < 20; i++) {
      const gid = gidOf('bk-before');
      expect((await post(server.api, 'submit', saga(gid, steps(), { wait_result: true }))).status).toBe(200);
      before.push(gid);
    }
    const stop = { done: false };
    const load = steadyLoad(server.api, stop);
    const file = path.join(backups, 'online.db');
    const started = Date.now();
    const r = await dtx(['backup', file, '--data-dir', server.dataDir]);
    const ended = Date.now();
    stop.done = true;
    const during = (await load).filter((t) => t > started && t < ended);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^backed up \\d+ transactions \\(\\d+ events, [\\d.]+ MB\\) of ${server.dataDir} to ${file} in \\d+ ms, while dtx ran on it\\n$`));
    expect(during.length).toBeGreaterThan(0); // dtx acknowledged sagas while the backup command ran (the copy itself takes ms here)
    expect(statSync(file).mode & 0o777).toBe(0o600); // payloads and forwarded headers: the owner's alone
    expect(Number(/^backed up (\d+) transactions/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(before.length);

    const restored = tempDir('dtx-restored-');
    const rr = await dtx(['restore', file, '--data-dir', restored]);
    expect([rr.code, rr.stderr]).toEqual([0, '']);
    expect(rr.stdout).toMatch(/^restored \d+ transactions/);
    await server.kill();
    server = await startDtx({ dataDir: restored });
    for (const gid of before) expect((await query(server.api, gid)).transaction?.status).toBe('succeed');
  });

  it('after a SIGKILL: the copy holds what was acknowledged before the kill; restore refuses a running dtx, a data dir with a log, and a file that is not a log', async () => {
    const { acked, dataDir } = await killedAfterOneSaga('bk-killed');
    const file = path.join(backups, 'offline.db');
    const r = await dtx(['backup', file, '--data-dir', dataDir]);
    expect([r.code, r.stdout]).toEqual([0, expect.not.stringContaining('while dtx ran')]);
    const again = await dtx(['backup', file, '--data-dir', dataDir]);
    expect([again.code, again.stderr]).toEqual([1, `dtx backup: ${file} exists: a backup does not replace a file\n`]);

    server = await startDtx({ dataDir });
    const running = await dtx(['restore', file, '--data-dir', dataDir]);
    expect([running.code, running.stderr]).toEqual([1, `dtx restore: a running dtx, or another dtx command (backup, prune), holds ${dataDir}: stop it or let it finish first (restore runs offline)\n`]);
    await server.kill();
    server = undefined;
    const occupied = await dtx(['restore', file, '--data-dir', dataDir]);
    expect([occupied.code, occupied.stderr]).toEqual([1, expect.stringContaining('already holds a log (dtx.db): move it away first')]);
    const junk = path.join(backups, 'junk.db');
    writeFileSync(junk, 'not a database, not a log');
    const notLog = await dtx(['restore', junk, '--data-dir', tempDir('dtx-restored-')]);
    expect([notLog.code, notLog.stderr]).toEqual([1, expect.stringContaining('is not a dtx log')]);
    const nowhere = await dtx(['backup', path.join(backups, 'no-such-folder', 'b.db'), '--data-dir', dataDir]);
    expect([nowhere.code, nowhere.stderr]).toEqual([1, `dtx backup: ${path.join(backups, 'no-such-folder')} is not a folder: the backup goes into an existing one\n`]);
    // a log moved away without its WAL: the WAL may hold its last commits, restore never deletes it
    const leftWal = tempDir('dtx-restored-');
    writeFileSync(path.join(leftWal, 'dtx.db-wal'), 'frames of a log moved away');
    const walLeft = await dtx(['restore', file, '--data-dir', leftWal]);
    expect([walLeft.code, walLeft.stderr]).toEqual([1, expect.stringContaining('holds dtx.db-wal or -journal without dtx.db: it may hold the last commits of the log moved away')]);
    expect(existsSync(path.join(leftWal, 'dtx.db-wal'))).toBe(true);
    const kafka = await dtx(['backup', path.join(backups, 'k.db')], { STORE_DRIVER: 'kafka', STORE_KAFKA_BROKERS: '127.0.0.1:1' });
    expect([kafka.code, kafka.stderr]).toEqual([2, expect.stringContaining('works on the embedded log')]);
    expect(existsSync(path.join(backups, 'k.db'))).toBe(false);

    const restored = tempDir('dtx-restored-');
    expect((await dtx(['restore', file, '--data-dir', restored])).code).toBe(0);
    server = await startDtx({ dataDir: restored });
    expect((await query(server.api, acked)).transaction?.status).toBe('succeed');
  });

  it('restores a log copied by hand with its WAL (the killed log itself): the WAL\'s commits are in the restored log', async () => {
    const { acked, dataDir } = await killedAfterOneSaga('bk-raw');
    const raw = path.join(backups, 'raw.db');
    copyFileSync(path.join(dataDir, 'dtx.db'), raw);
    copyFileSync(path.join(dataDir, 'dtx.db-wal'), `${raw}-wal`);
    expect(statSync(`${raw}-wal`).size).toBeGreaterThan(0); // the saga's commits are there, not yet in raw.db
    const restored = tempDir('dtx-restored-');
    expect((await dtx(['restore', raw, '--data-dir', restored])).code).toBe(0);
    expect(existsSync(path.join(restored, 'dtx.db-wal'))).toBe(false); // one self-contained file
    server = await startDtx({ dataDir: restored });
    expect((await query(server.api, acked)).transaction?.status).toBe('succeed');
  });
});
