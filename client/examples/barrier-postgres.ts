// The branch barrier on PostgreSQL: a saga moves money between two accounts; each branch runs its
// business under BranchBarrier.callWithPool, so a repeated call changes nothing.
// Needs PostgreSQL: DATABASE_URL (default: the project's scripts/postgres-local.sh server,
// postgres://dtx@127.0.0.1:25432/dtx_test). Run `npm start` at the repository root, then
// `node client/dist/examples/barrier-postgres.js`.
import express from 'express';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { BranchBarrier, dtmExpressHandler, DtmFailure, ensureBarrierTable, httpDtm, pgPool, Saga, type SqlConnection } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_HTTP, say } from './example-env.js';

const raw = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://dtx@127.0.0.1:25432/dtx_test' });
const pool = pgPool(raw);
const table = `example_accounts_${process.pid}`;
const setup = await pool.acquire();
await ensureBarrierTable(setup); // dtm's dtm_barrier.barrier, shared with Go branches
await setup.exec(`create table ${table}(id int primary key, balance int not null check (balance >= 0))`);
await setup.exec(`insert into ${table} values (1, 100), (2, 0)`);
setup.release();

const adjust = async (conn: SqlConnection, id: number, amount: number) => {
  if ((await conn.exec(`update ${table} set balance = balance + ? where id = ? and balance + ? >= 0`, [amount, id, amount])) === 0) throw new DtmFailure('insufficient balance');
};
const app = express().use(express.json());
const routes: Record<string, [number, 1 | -1]> = { TransOut: [1, -1], TransOutCompensate: [1, 1], TransIn: [2, 1], TransInCompensate: [2, -1] };
for (const [step, [account, sign]] of Object.entries(routes)) {
  app.post(`/api/${step}`, dtmExpressHandler(async (ctx, req: express.Request) => {
    // duplicate, empty-compensation and hanging calls are answered SUCCESS without running the business
    await BranchBarrier.from(ctx).callWithPool(pool, (conn) => adjust(conn, account, sign * (req.body as { amount: number }).amount));
  }));
}
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const busi = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

const dtm = httpDtm(DTX_HTTP);
const gid = await dtm.newGid();
await new Saga(dtm, gid, { wait_result: true })
  .add(`${busi}/TransOut`, `${busi}/TransOutCompensate`, { amount: 30 })
  .add(`${busi}/TransIn`, `${busi}/TransInCompensate`, { amount: 30 })
  .submit();
// the same TransIn delivered again (a network retry): the barrier makes it a no-op
const again = await fetch(`${busi}/TransIn?gid=${gid}&trans_type=saga&branch_id=02&op=action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":30}' });
say(`repeated TransIn answered ${again.status}`);
const balances = (await raw.query<{ id: number; balance: number }>(`select id, balance from ${table} order by id`)).rows;
say(`saga ${gid} succeeded; balances ${balances.map((r) => `${r.id}=${r.balance}`).join(' ')}`);
await raw.query(`drop table ${table}`);
server.close();
await raw.end();
