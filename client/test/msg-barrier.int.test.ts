import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BranchBarrier, dtmFastifyHandler, Msg, type BranchContext } from '../src/index.js';
import { Bank } from './support/bank.js';
import { newTestGid, startDtxCoordinator, waitStatus, type Coordinator } from './support/coordinators.js';
import { openPostgres, type TestDatabase } from './support/databases.js';

// msg doAndSubmitDB with the barrier's query-prepared back-check on a real PostgreSQL, against the
// real dtx process, with a fastify branch service built on dtmFastifyHandler: the local transaction
// and the message commit together or not at all, also when the process "dies" between them.
let coordinator: Coordinator;
let db: TestDatabase;
let bank: Bank;
let app: FastifyInstance;
let base = '';

beforeAll(async () => {
  coordinator = await startDtxCoordinator();
  db = await openPostgres(10);
  bank = await Bank.create(db, 2, 100);
  app = Fastify();
  // the queried-back check: SUCCESS if the local transaction committed, else FAILURE (and never later)
  app.get('/queryPrepared', dtmFastifyHandler((ctx) => BranchBarrier.from(ctx).queryPrepared(db.pool)));
  // the message's action: credit account 1 under the barrier
  app.post('/credit', dtmFastifyHandler((ctx: BranchContext, req: { body?: unknown }) =>
    BranchBarrier.from(ctx).callWithPool(db.pool, (conn) => bank.adjust(conn, ctx, 1, (req.body as { amount: number }).amount, false))));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await bank?.drop();
  await db?.end();
  await coordinator?.close();
});

const debit = (gid: string, amount: number) => (conn: Parameters<Parameters<Msg['doAndSubmitDB']>[2]>[0]) => bank.adjust(conn, { gid, branch_id: '00', op: 'msg' }, 0, -amount, true);
const effects = async (gid: string) => {
  const c = await bank.effectCounts();
  return [c.get(`${gid}/00/msg`) ?? 0, c.get(`${gid}/01/action`) ?? 0];
};

describe('msg doAndSubmitDB on PostgreSQL', () => {
  it('debits locally and the message credits remotely, each once', async () => {
    const gid = newTestGid('msgdb');
    await new Msg(coordinator.http, gid).add(`${base}/credit`, { amount: 10 }).doAndSubmitDB(`${base}/queryPrepared`, db.pool, debit(gid, 10));
    await waitStatus(coordinator.api, gid, 'succeed');
    expect(await effects(gid)).toEqual([1, 1]);
  });

  it('a business FAILURE (insufficient funds) aborts the message: nothing happens anywhere', async () => {
    const gid = newTestGid('msgdb-fail');
    await expect(new Msg(coordinator.http, gid).add(`${base}/credit`, { amount: 10_000 }).doAndSubmitDB(`${base}/queryPrepared`, db.pool, debit(gid, 10_000))).rejects.toThrow(/insufficient/);
    await waitStatus(coordinator.api, gid, 'failed');
    expect(await effects(gid)).toEqual([0, 0]);
  });

  it('a process that dies after its local commit: dtx queries back, finds the barrier row and delivers the message', async () => {
    const gid = newTestGid('msgdb-crash');
    const msg = new Msg(coordinator.http, gid, { timeout_to_fail: 1 }).add(`${base}/credit`, { amount: 7 });
    await msg.prepare(`${base}/queryPrepared`);
    // the local transaction commits under the msg barrier; the submit never happens
    await BranchBarrier.from({ gid, trans_type: 'msg', branch_id: '00', op: 'msg' }).callWithPool(db.pool, debit(gid, 7));
    await waitStatus(coordinator.api, gid, 'succeed');
    expect(await effects(gid)).toEqual([1, 1]);
  });

  it('a process that dies before its local commit: dtx queries back, the message fails and the late commit is refused', async () => {
    const gid = newTestGid('msgdb-lost');
    await new Msg(coordinator.http, gid, { timeout_to_fail: 1 }).add(`${base}/credit`, { amount: 7 }).prepare(`${base}/queryPrepared`);
    await waitStatus(coordinator.api, gid, 'failed');
    const late = BranchBarrier.from({ gid, trans_type: 'msg', branch_id: '00', op: 'msg' }).callWithPool(db.pool, debit(gid, 7));
    await expect(late).rejects.toThrow(/DUPLICATED/);
    expect(await effects(gid)).toEqual([0, 0]);
  });
});
