import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

/** `dtx serve` on free ports and a fresh data dir, stderr piped; SIGKILLed after the file if still running. */
function spawnServe(env: Record<string, string>) {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--grpc-port', '0', '--host', '127.0.0.1', '--data-dir', tempDir()], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  cleanup.push(async () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
  });
  return { proc, exited };
}

describe('logs', () => {
  it('without a terminal: JSON lines with ISO times, and one info line per finished transaction', async () => {
    const [dtx, bs]: [DtxProcess, BranchServer] = await Promise.all([startDtx(), BranchServer.start()]);
    cleanup.push(() => dtx.kill(), () => bs.close());
    const gid = gidOf('log');
    const steps = [{ action: bs.url('/log/a1'), compensate: bs.url('/log/c1') }, { action: bs.url('/log/a2'), compensate: bs.url('/log/c2') }];
    expect((await post(dtx.api, 'submit', saga(gid, steps, { wait_result: true }))).status).toBe(200);
    const line = await waitFor(async () => dtx.logs.find((l) => l.includes('"transaction finished"') && l.includes(gid)), (l) => l !== undefined, 10_000, 'the finished line');
    const rec = JSON.parse(line!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 30, msg: 'transaction finished', gid, transType: 'saga', status: 'succeed', branches: 2 });
    expect(rec.durationMs).toBeGreaterThanOrEqual(0);
    for (const l of dtx.logs) expect((JSON.parse(l) as { time: string }).time).toMatch(ISO);
  });

  it('LOG_FORMAT=pretty: human-readable lines with ISO times', async () => {
    const { proc, exited } = spawnServe({ LOG_FORMAT: 'pretty' });
    const lines: string[] = [];
    const listening = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${lines.join('\n')}`)), 20_000);
      createInterface({ input: proc.stderr }).on('line', (l) => {
        lines.push(l);
        if (l.includes('dtx listening')) {
          clearTimeout(timer);
          resolve(l);
        }
      });
    });
    expect(listening).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO: dtx listening \{.*"httpPort":\d+/);
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    expect(lines.some((l) => /INFO: \[engine\] recovery finished/.test(l))).toBe(true);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a SIGTERM while dtx starts stops it gracefully once started (exit 0), not by the default action', async () => {
    const { proc, exited } = spawnServe({});
    const lines: string[] = [];
    // the first log line comes from the start, before the listeners run
    await new Promise<void>((resolve) => createInterface({ input: proc.stderr }).on('line', (l) => lines.push(l) === 1 && resolve()));
    proc.kill('SIGTERM');
    expect(await exited, lines.join('\n')).toBe(0);
    expect(lines.some((l) => l.includes('dtx stopped'))).toBe(true);
  });
});
