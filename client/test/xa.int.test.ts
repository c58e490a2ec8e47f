import * as grpc from '@grpc/grpc-js';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtmFailure, dtmExpressHandler, dtmGrpcHandler, rawServiceDefinition, xaGlobalTransaction, xaLocalTransaction, type BranchContext, type DtmServer } from '../src/index.js';
import { Bank } from './support/bank.js';
import { newTestGid, startDtxCoordinator, statuses, waitStatus, type Coordinator } from './support/coordinators.js';
import { openMysql, openPostgres, type TestDatabase } from './support/databases.js';

// XA through dtx-client against the real dtx process: xaGlobalTransaction calls branches that run
// xaLocalTransaction on a real PostgreSQL and a real MariaDB, over HTTP (express) and gRPC (grpc-js);
// dtx then commits or rolls back the prepared XA transactions through the same branch URLs.
let coordinator: Coordinator;
let httpServer: Server;
let grpcServer: grpc.Server;
let httpPort = 0;
let grpcPort = 0;
const dbs: Record<'postgres' | 'mysql', { db: TestDatabase; bank: Bank }> = {} as never;

/** The branch: account `id` of `kind`'s bank gets `amount`; `fail` in the payload answers FAILURE instead. */
async function branch(dtm: DtmServer, kind: 'postgres' | 'mysql', ctx: BranchContext, payload: { account: number; amount: number; fail?: boolean }): Promise<void> {
  const { db, bank } = dbs[kind];
  await xaLocalTransaction(dtm, ctx, db.pool, async (conn) => {
    if (payload.fail) throw new DtmFailure('xa branch refused');
    await bank.adjust(conn, ctx, payload.account, payload.amount, true);
  });
}

beforeAll(async () => {
  coordinator = await startDtxCoordinator();
  for (const [kind, open] of [['postgres', openPostgres], ['mysql', openMysql]] as const) {
    const db = await open(10);
    dbs[kind] = { db, bank: await Bank.create(db, 2, 100) };
  }
  const app = express();
  app.use(express.json({ type: () => true }));
  app.post('/xa/:kind', dtmExpressHandler((ctx, req: express.Request) => branch(coordinator.http, req.params.kind as 'postgres' | 'mysql', ctx, req.body as never)));
  httpServer = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  httpPort = (httpServer.address() as AddressInfo).port;
  grpcServer = new grpc.Server();
  const handler = (kind: 'postgres' | 'mysql') => dtmGrpcHandler<Buffer, Buffer>(async (ctx, req) => {
    await branch(coordinator.grpc, kind, ctx, req.length > 0 ? JSON.parse(req.toString('utf8')) : { account: 0, amount: 0 });
    return Buffer.alloc(0);
  });
  grpcServer.addService(rawServiceDefinition('busi.Xa', ['Postgres', 'Mysql']), { Postgres: handler('postgres'), Mysql: handler('mysql') });
  grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
});

afterAll(async () => {
  httpServer?.closeAllConnections();
  await new Promise<void>((r) => (httpServer ? httpServer.close(() => r()) : r()));
  await new Promise<void>((r) => (grpcServer ? grpcServer.tryShutdown(() => r()) : r()));
  for (const { db, bank } of Object.values(dbs)) {
    await bank.drop();
    await db.end();
  }
  await coordinator?.close();
});

describe.each([
  ['http', 'postgres'],
  ['http', 'mysql'],
  ['grpc', 'postgres'],
  ['grpc', 'mysql'],
] as const)('xa over %s on %s', (protocol, kind) => {
  const url = () => (protocol === 'http' ? `http://127.0.0.1:${httpPort}/xa/${kind}` : `127.0.0.1:${grpcPort}/busi.Xa/${kind === 'postgres' ? 'Postgres' : 'Mysql'}`);
  const dtm = () => (protocol === 'http' ? coordinator.http : coordinator.grpc);
  const balances = async () => [...(await dbs[kind].bank.balances()).values()];

  it('commits every prepared branch when the transaction function succeeds', async () => {
    const before = await balances();
    const gid = newTestGid(`xa-${protocol}-${kind}`);
    await xaGlobalTransaction(dtm(), gid, async (xa) => {
      await xa.callBranch({ account: 0, amount: -30 }, url());
      await xa.callBranch({ account: 1, amount: 30 }, url());
    });
    const q = await waitStatus(coordinator.api, gid, 'succeed');
    expect(statuses(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    expect(await balances()).toEqual([before[0]! - 30, before[1]! + 30]);
  });

  it('rolls back the prepared branches when a branch answers FAILURE', async () => {
    const before = await balances();
    const gid = newTestGid(`xa-rb-${protocol}-${kind}`);
    const run = xaGlobalTransaction(dtm(), gid, async (xa) => {
      await xa.callBranch({ account: 0, amount: -30 }, url());
      await xa.callBranch({ account: 1, amount: 30, fail: true }, url());
    });
    await expect(run).rejects.toBeInstanceOf(DtmFailure);
    const q = await waitStatus(coordinator.api, gid, 'failed');
    expect(statuses(q)).toEqual(['succeed', 'prepared']);
    expect(await balances()).toEqual(before);
    // nothing stays prepared in the database
    const pending = await dbs[kind].db.with((c) => (kind === 'postgres' ? c.query(`select gid from pg_prepared_xacts where gid like ?`, [`${gid}%`]) : c.query('xa recover')));
    expect(pending.filter((r) => JSON.stringify(r).includes(gid))).toEqual([]);
  });
});
