import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinRegistry, EMPTY_LIMITS, EMPTY_OPTIONS, type TransSpec } from '../../machines/index.js';
import { foldRecords } from '../../src/engine/live-transaction.js';
import { summaryOf } from '../../src/engine/trans-view.js';
import type { LogRecord } from '../../src/log/event-log.js';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500 } from '../support/branch-server.js';
import { get, post, query, waitFor, waitStatus } from '../support/dtm-client.js';

/**
 * A poisoned transaction in the log never stops recovery nor the process (hardening issue): one
 * whose next state cannot be rendered (a retry interval that pushes its next cron time past the
 * largest date, accepted by an older dtx) is parked when acting on it fails, one whose type is
 * gone is left out of recovery, and the healthy transaction beside them finishes.
 */
const MAX_DATE = 8.64e15;
const at = Date.now() - 60_000;
let branches: BranchServer;
let dataDir: string;
let dtx: DtxProcess | undefined;

function spec(gid: string, transType: string, action: string, retryInterval = 0): TransSpec {
  return {
    gid, transType, protocol: 'http', steps: [{ action, compensate: '' }], payloads: [Buffer.from('{}').toString('base64')],
    customData: '', queryPrepared: '', options: { ...EMPTY_OPTIONS, retryInterval }, rollbackReason: '',
  };
}
const created = (s: TransSpec): LogRecord => ({ v: 1, gid: s.gid, seq: 1, type: 'TransCreated', at, data: { status: 'submitted', spec: s, limits: EMPTY_LIMITS }, cmd: `seed:${s.gid}` });

beforeAll(async () => {
  branches = await BranchServer.start();
  branches.on('/poison', ERROR500);
  dataDir = tempDir();
  const log = SqliteEventLog.open({ dir: dataDir, syncCommit: true });
  const registry = createBuiltinRegistry();
  // next cron time at creation is 1 ms before the largest date: any later touch passes it
  const poisoned = created(spec('poisoned', 'saga', branches.url('/poison'), Math.floor((MAX_DATE - at) / 1000) - 1));
  const healthy = created(spec('healthy', 'saga', branches.url('/ok')));
  const ghost = created(spec('ghost', 'ghost', branches.url('/ghost')));
  const ghostRow = { ...summaryOf(foldRecords(registry, 'healthy', [healthy])!), gid: 'ghost', transType: 'ghost', view: '{"transaction":{"gid":"ghost","status":"submitted"},"branches":[]}' };
  await log.append([poisoned, healthy, ghost], [summaryOf(foldRecords(registry, 'poisoned', [poisoned])!), summaryOf(foldRecords(registry, 'healthy', [healthy])!), ghostRow]);
  await log.close();
  dtx = await startDtx({ dataDir });
});
afterAll(async () => {
  await dtx?.kill();
  await branches?.close();
});

const metric = async (d: DtxProcess, line: string) => (await get(`http://127.0.0.1:${d.port}/api`, 'metrics')).text.split('\n').find((l) => l.startsWith(line));

describe('a poisoned log', () => {
  it('recovers the healthy transaction and leaves the unknown type out', async () => {
    await waitStatus(dtx!.api, 'healthy', 'succeed');
    expect(dtx!.logs.some((l) => l.includes('"recovery finished"') && l.includes('"failed":1'))).toBe(true);
    expect(await metric(dtx!, 'dtx_transactions_parked_total{model="unknown"}')).toBe('dtx_transactions_parked_total{model="unknown"} 1');
  });

  it('parks the transaction that cannot be acted on, with its cause, and keeps running', async () => {
    const q = await waitFor(() => query(dtx!.api, 'poisoned'), (v) => v.transaction?.dtx_parked !== undefined, 20_000, 'poisoned to be parked');
    expect(q.transaction?.status).toBe('submitted');
    expect((q.transaction?.dtx_parked as { reason: string }).reason).toMatch(/^rendering the transaction failed: RangeError: Invalid time value/);
    expect(await metric(dtx!, 'dtx_transactions_parked_total{model="saga"}')).toBe('dtx_transactions_parked_total{model="saga"} 1');
    expect((await get(`http://127.0.0.1:${dtx!.port}/api`, 'ping')).status).toBe(200);
    const history = (await get(`http://127.0.0.1:${dtx!.port}/api/dtx`, 'history?gid=poisoned')).body as { verified: boolean; timeline: Array<{ event: string }> };
    expect(history.verified).toBe(true);
    expect(history.timeline.map((e) => e.event)).toEqual(['TransCreated', 'TransParked']);
  });

  it('a command on the unknown type fails alone with its cause', async () => {
    const r = await post(dtx!.api, 'forceStop', { gid: 'ghost' });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: 'DTX_INTERNAL' });
    expect(String(r.body.message)).toContain('transaction ghost cannot be rebuilt from its events');
  });

  it('after a SIGKILL the parked transaction is neither re-driven nor crashing the restart', async () => {
    await dtx!.kill('SIGKILL');
    const calls = branches.callsTo('/poison').length;
    dtx = await startDtx({ dataDir });
    expect((await query(dtx.api, 'poisoned')).transaction?.dtx_parked).toBeDefined();
    // a healthy transaction submitted now is decided and run while the parked one sits
    expect((await post(dtx.api, 'submit', { gid: 'after', trans_type: 'saga', steps: [{ action: branches.url('/ok'), compensate: '' }], payloads: ['{}'] })).status).toBe(200);
    await waitStatus(dtx.api, 'after', 'succeed');
    expect(branches.callsTo('/poison').length).toBe(calls);
  });

  it('resetNextCronTime retries it (parked again: the cause is still there), forceStop ends it', async () => {
    const calls = branches.callsTo('/poison').length;
    expect((await post(dtx!.api, 'resetNextCronTime', { gid: 'poisoned' })).status).toBe(200);
    await waitFor(async () => branches.callsTo('/poison').length, (n) => n > calls, 10_000, 'the retried call');
    await waitFor(() => query(dtx!.api, 'poisoned'), (v) => v.transaction?.dtx_parked !== undefined, 10_000, 'parked again');
    expect((await post(dtx!.api, 'forceStop', { gid: 'poisoned' })).status).toBe(200);
    const q = await query(dtx!.api, 'poisoned');
    expect(q.transaction?.status).toBe('failed');
    expect(q.transaction?.dtx_parked).toBeUndefined();
    expect(dtx!.proc.exitCode).toBeNull();
  });
});
