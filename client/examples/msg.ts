// A two-phase message over HTTP: prepare, the local transaction, submit; dtx then calls the action.
// Run `npm start` at the repository root, then `node client/dist/examples/msg.js`.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { dtmExpressHandler, httpDtm, Msg } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_HTTP, say } from './example-env.js';

let delivered: (body: unknown) => void = () => undefined;
const credited = new Promise((resolve) => (delivered = resolve));
const app = express().use(express.json());
app.post('/api/TransIn', dtmExpressHandler(async (ctx, req: express.Request) => {
  say(`TransIn ${ctx.gid} ${ctx.op} ${JSON.stringify(req.body)}`);
  delivered(req.body);
}));
// asked by dtx only when a prepared message is not submitted in time (see msg-barrier for the real check)
app.get('/api/QueryPrepared', dtmExpressHandler(async () => undefined));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const busi = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

const dtm = httpDtm(DTX_HTTP);
const gid = await dtm.newGid();
const msg = new Msg(dtm, gid).add(`${busi}/TransIn`, { amount: 30 });
await msg.prepare(`${busi}/QueryPrepared`);
say(`msg ${gid} prepared; the local transaction commits here`);
await msg.submit();
say(`msg ${gid} submitted`);
await credited;
say(`msg ${gid} delivered`);
server.close();
