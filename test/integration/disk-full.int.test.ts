import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveExpectingFailure, startDtx, type DtxProcess } from '../support/dtx-process.js';
import { fillUp, TmpfsMount } from '../support/tmpfs-mount.js';
import { BranchServer } from '../support/branch-server.js';
import { get, gidOf, post, query, saga, waitFor, waitStatus } from '../support/dtm-client.js';

/**
 * The embedded log on a disk that fills up: a real tmpfs of 12 MiB (mounted here; the tests run
 * as root, as the project's install scripts do), then grown to 96 MiB as an operator freeing
 * space would. dtx must stay up and keep answering reads, refuse new work with the retryable 503
 * DTX_LOG_UNAVAILABLE without writing a line per failure, lose nothing it acknowledged, and go on
 * by itself once there is room: the branch results it could not store are retried, the WAL that
 * could not be checkpointed is, and a SIGKILL afterwards loses nothing. dtx also starts on a disk
 * with no room left (its lock taken without writing), serving reads and what its WAL file has room
 * for; a new data dir there is refused in one line.
 */
const disk = new TmpfsMount();
const mountPoint = disk.dir;
const PAYLOAD = JSON.stringify({ pad: 'p'.repeat(64 * 1024) });

let bs: BranchServer | undefined;
let server: DtxProcess | undefined;
beforeAll(async () => {
  disk.mount('12m');
  bs = await BranchServer.start();
});
afterAll(async () => {
  try {
    await server?.kill('SIGKILL');
    await bs?.close();
  } finally {
    disk.unmount();
  }
});

const url = (p: string) => bs!.url(p);
const bigSaga = (gid: string) => ({ ...saga(gid, [{ action: url('/df/a'), compensate: url('/df/c') }, { action: url('/df/b'), compensate: url('/df/d') }]), payloads: [PAYLOAD, PAYLOAD] });
const failuresCounted = async (api: string) => Number(/^dtx_log_append_failures_total\{code="DTX_LOG_UNAVAILABLE"\} (\d+)$/m.exec((await get(api.replace('/dtmsvr', ''), 'metrics')).text)?.[1] ?? 0);
const lines = (s: DtxProcess, text: string) => s.logs.filter((l) => l.includes(text));
describe('a full disk under the embedded log', () => {
  it('refuses new work with a retryable 503, loses nothing acknowledged, and resumes once there is room', async () => {
    const dataDir = path.join(mountPoint, 'data');
    mkdirSync(dataDir);
    server = await startDtx({ dataDir });
    const api = server.api;

    const acked: string[] = [];
    let refused: { gid: string; status: number; body: Record<string, unknown> } | undefined;
    for (let i = 0; i < 2000 && refused === undefined; i++) {
      const gid = gidOf('df');
      const r = await post(api, 'submit', bigSaga(gid));
      if (r.status === 200) acked.push(gid);
      else refused = { gid, status: r.status, body: r.body };
    }
    expect(acked.length).toBeGreaterThan(5);
    expect(refused).toMatchObject({ status: 503, body: { code: 'DTX_LOG_UNAVAILABLE' } });
    expect(String(refused!.body.message)).toMatch(/SQLITE_FULL/);

    // more of the same, one after the other (a batch each), until 60 were refused: each counted, none logged
    // on its own line; reads go on. One may still be taken when some room appears between attempts (seen on
    // a loaded machine, 2 runs of 5: batches differ in size as dtx's own retried writes join them); it was
    // acknowledged, so it must finish below.
    const counted = await failuresCounted(api);
    const answers = new Set<string>();
    let refusals = 0;
    for (let i = 0; i < 200 && refusals < 60; i++) {
      const gid = gidOf('df-more');
      const r = await post(api, 'submit', bigSaga(gid));
      answers.add(`${r.status} ${String(r.body.code)}`);
      if (r.status === 200) acked.push(gid);
      else refusals += 1;
    }
    expect(refusals).toBe(60);
    expect([...answers].filter((a) => a !== '200 undefined')).toEqual(['503 DTX_LOG_UNAVAILABLE']);
    expect(await failuresCounted(api)).toBeGreaterThanOrEqual(counted + 60);
    expect(lines(server, 'append failed').length).toBeLessThanOrEqual(3); // one per 10 s window (the gate), not 61
    expect((await query(api, refused!.gid)).transaction).toBeNull(); // refused means not stored
    expect((await query(api, acked[0]!)).transaction).not.toBeNull();
    expect((await get(api, 'all?limit=5')).status).toBe(200);
    expect(server.proc.exitCode).toBeNull();
    // the checkpoints asked meanwhile could not grow the database file: warned about, not per attempt
    await waitFor(async () => {
      await post(api, 'submit', bigSaga(gidOf('df-probe')));
      return lines(server!, 'WAL checkpoint failed').length;
    }, (n) => n >= 1, 60_000, 'a warning that the checkpoint failed');

    // the operator frees space: new work is taken again, the branch results held back are stored
    disk.grow('96m');
    const after = gidOf('df-after');
    await waitFor(() => post(api, 'submit', bigSaga(after)), (r) => r.status === 200, 60_000, 'a submit taken after the disk has room');
    for (const gid of [...acked, after]) await waitStatus(api, gid, 'succeed', 60_000);
    await waitFor(async () => {
      await post(api, 'submit', saga(gidOf('df-small'), [{ action: url('/df/a'), compensate: url('/df/c') }]));
      return lines(server!, 'WAL checkpoints complete again').length;
    }, (n) => n >= 1, 60_000, 'a complete checkpoint');

    // nothing acknowledged lives only in memory, and dtx starts on a disk with no room left: it serves
    // what its log holds and refuses what needs room; a new data dir there cannot even hold its lock
    await server.kill('SIGKILL');
    server = undefined;
    const fresh = path.join(mountPoint, 'fresh');
    mkdirSync(fresh);
    fillUp(path.join(mountPoint, 'filler'));
    const refusedStart = await serveExpectingFailure({ STORE_DATA_DIR: fresh });
    expect(refusedStart.code).toBe(1);
    expect(refusedStart.stderr).toContain(`dtx: cannot start: the disk of the data dir ${fresh} is full; free space there`);
    server = await startDtx({ dataDir });
    for (const gid of [...acked, after]) expect((await query(server.api, gid)).transaction?.status).toBe('succeed');
    expect((await query(server.api, refused!.gid)).transaction).toBeNull();
    // taken while the WAL file has room of its own (it started over before the kill), else the retryable 503
    const onFull = await post(server.api, 'submit', bigSaga(gidOf('df-full-start')));
    expect(onFull.status === 200 || (onFull.status === 503 && onFull.body.code === 'DTX_LOG_UNAVAILABLE')).toBe(true);
    expect(server.proc.exitCode).toBeNull();
    expect((await serveExpectingFailure({ STORE_DATA_DIR: dataDir })).stderr).toContain('is in use by another dtx process'); // still owned
    rmSync(path.join(mountPoint, 'filler'));
    const last = gidOf('df-last');
    await waitFor(() => post(server!.api, 'submit', bigSaga(last)), (r) => r.status === 200, 60_000, 'a submit taken once the filler is gone');
    await waitStatus(server.api, last, 'succeed', 60_000);
  });
});
