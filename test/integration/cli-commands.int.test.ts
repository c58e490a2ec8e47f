import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, saga } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';

const TOKEN = 'cli-test-token-0123456789';
const dtx = runDtx;
/** A FAILURE cause longer than any table column: `dtx replay` must print it whole. */
const CAUSE = `the ledger refused the transfer because account 42 is frozen by compliance review ${'x'.repeat(80)} end-of-cause`;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let server: DtxProcess;
let bs: BranchServer;
let url: string;
const dataDir = tempDir('dtx-cli-');
const ok = gidOf('cli-ok');
const bad = gidOf('cli-rb');

beforeAll(async () => {
  [server, bs] = await Promise.all([startDtx({ dataDir, env: { AUTH_TOKENS: TOKEN } }), BranchServer.start()]);
  url = `http://127.0.0.1:${server.port}`;
  bs.on('/cli/b2', { status: 409, body: JSON.stringify({ dtm_result: 'FAILURE', message: CAUSE }) });
  const steps = (p: string) => [{ action: bs.url(`/cli/${p}1`), compensate: bs.url('/cli/c1') }, { action: bs.url(`/cli/${p}2`), compensate: bs.url('/cli/c2') }];
  const auth = (body: Record<string, unknown>) => fetch(`${server.api}/submit`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
  const answers = await Promise.all([auth(saga(ok, steps('a'), { wait_result: true })), auth(saga(bad, steps('b'), { wait_result: true }))]);
  expect(answers.map((r) => r.status)).toEqual([200, 409]); // the second rolled back: FAILURE
});
afterAll(async () => {
  await server?.kill();
  await bs?.close();
});

describe('dtx command line', () => {
  it('without a command prints help listing the commands', async () => {
    const r = await dtx([]);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'list', 'show', 'replay', 'prune', 'backup', 'restore']) expect(r.stdout).toContain(c);
  });

  it('suggests the closest command for a typo and exits 2', async () => {
    const r = await dtx(['relpay', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'relpay'");
    expect(r.stderr).toContain('Did you mean replay?');
  });

  it('replay --threads outside 1..64 is a usage error naming the flag', async () => {
    for (const bad of ['0', '65', 'two']) {
      const r = await dtx(['replay', '--all', '--threads', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain("option '--threads <n>' argument");
      expect(r.stderr, bad).toContain('must be an integer 1..64');
    }
  });

  it('list, show and replay ask a running dtx with --server and --token', async () => {
    const denied = await dtx(['list', '--server', url]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('--token');
    const list = await dtx(['list', '--server', url, '--token', TOKEN]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${ok}\\s+saga\\s+succeed`));
    expect(list.stdout).toMatch(new RegExp(`${bad}\\s+saga\\s+failed`));
    const failed = await dtx(['list', '--server', url, '--token', TOKEN, '--status', 'failed', '--json']);
    expect((JSON.parse(failed.stdout) as { transactions: Array<{ gid: string }> }).transactions.map((t) => t.gid)).toEqual([bad]);
    const show = await dtx(['show', ok, '--server', url, '--token', TOKEN]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/status\s+succeed/);
    expect(show.stdout).toMatch(/02\s+action\s+succeed/);
    const replay = await dtx(['replay', bad, '--server', url, '--token', TOKEN]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(CAUSE);
    expect(replay.stdout).toContain('verified');
  });

  it('a data dir owned by the running dtx is refused with a pointer to --server', async () => {
    const r = await dtx(['list', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('in use by a running dtx');
    expect(r.stderr).toContain('--server');
  });

  it('an unreachable --server is named with the reason, not "fetch failed"', async () => {
    const r = await dtx(['show', ok, '--server', `http://127.0.0.1:${await closedPort()}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach dtx at http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  it('offline: list, show and replay read the data dir and name it; replay shows full error causes', async () => {
    await server.kill();
    const db = path.join(dataDir, 'dtx.db');
    const list = await dtx(['list', '--data-dir', dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(ok);
    expect(list.stdout).toContain(`from ${db}`);
    const show = await dtx(['show', bad, '--json'], { STORE_DATA_DIR: dataDir });
    expect(show.code).toBe(0);
    const detail = JSON.parse(show.stdout) as { transaction: { status: string }; branches: unknown[] };
    expect([detail.transaction.status, detail.branches.length]).toEqual(['failed', 4]);
    const replay = await dtx(['replay', bad, '--data-dir', dataDir]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(CAUSE);
    expect(replay.stdout).toContain(db);
    const unknown = await dtx(['replay', 'no-such-gid', '--data-dir', dataDir]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(`no events for gid 'no-such-gid' in ${db}`);
    expect((await dtx(['show', 'no-such-gid', '--data-dir', dataDir])).code).toBe(3);
  });

  it('replay on a missing data dir names it, exits 2 and creates nothing', async () => {
    const missing = path.join(tempDir('dtx-cli-missing-'), 'typo');
    const r = await dtx(['replay', ok, '--data-dir', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`data dir ${missing} does not exist`);
    expect(existsSync(missing)).toBe(false);
    const list = await dtx(['list'], { STORE_DATA_DIR: missing });
    expect(list.code).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  it('replay with a Kafka TLS file that cannot be read is a config error naming the key, exit 2', async () => {
    const r = await dtx(['replay', '--all'], { STORE_DRIVER: 'kafka', STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_TLS_CA_FILE: '/no/such/ca.pem' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Store.KafkaTls.CaFile="/no/such/ca.pem": cannot read it (ENOENT');
  });
});
