// A saga over HTTP: an express branch service, a transfer that succeeds and one that rolls back.
// Run `npm start` at the repository root, then `node client/dist/examples/saga.js`.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { dtmExpressHandler, DtmFailure, httpDtm, Saga } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_HTTP, say } from './example-env.js';

const app = express().use(express.json());
for (const step of ['TransOut', 'TransOutCompensate', 'TransIn', 'TransInCompensate']) {
  app.post(`/api/${step}`, dtmExpressHandler(async (ctx, req: express.Request) => {
    say(`${step} ${ctx.gid} ${ctx.op} amount=${(req.body as { amount: number }).amount}`);
    // TransIn refuses amounts over 100: the saga rolls back (compensations, last first)
    if (step === 'TransIn' && (req.body as { amount: number }).amount > 100) throw new DtmFailure('amount too large');
  }));
}
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const busi = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

const dtm = httpDtm(DTX_HTTP);
for (const amount of [30, 500]) {
  const gid = await dtm.newGid();
  const saga = new Saga(dtm, gid, { wait_result: true }) // submit resolves once the saga ran
    .add(`${busi}/TransOut`, `${busi}/TransOutCompensate`, { amount })
    .add(`${busi}/TransIn`, `${busi}/TransInCompensate`, { amount });
  try {
    await saga.submit();
    say(`saga ${gid} succeeded`);
  } catch (err) {
    if (!(err instanceof DtmFailure)) throw err;
    say(`saga ${gid} rolled back: ${err.message}`);
  }
}
server.close();
