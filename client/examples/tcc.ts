// A TCC transaction over HTTP: two tries, then dtx confirms both; a try that fails cancels both.
// Run `npm start` at the repository root, then `node client/dist/examples/tcc.js`.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { dtmExpressHandler, DtmFailure, httpDtm, tccGlobalTransaction } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_HTTP, say } from './example-env.js';

let cancels = 0;
let cancelled: () => void = () => undefined;
const bothCancelled = new Promise<void>((resolve) => (cancelled = resolve));
const app = express().use(express.json());
for (const step of ['TransOutTry', 'TransOutConfirm', 'TransOutCancel', 'TransInTry', 'TransInConfirm', 'TransInCancel']) {
  app.post(`/api/${step}`, dtmExpressHandler(async (ctx, req: express.Request) => {
    say(`${step} ${ctx.gid} ${ctx.op}`);
    if (step.endsWith('Cancel') && ++cancels === 2) cancelled();
    if (step === 'TransInTry' && (req.body as { amount: number }).amount > 100) throw new DtmFailure('amount too large');
  }));
}
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const busi = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

const dtm = httpDtm(DTX_HTTP);
for (const amount of [30, 500]) {
  const gid = await dtm.newGid();
  try {
    // wait_result: submit resolves once the confirms ran
    await tccGlobalTransaction(dtm, gid, async (tcc) => {
      await tcc.callBranch({ amount }, `${busi}/TransOutTry`, `${busi}/TransOutConfirm`, `${busi}/TransOutCancel`);
      await tcc.callBranch({ amount }, `${busi}/TransInTry`, `${busi}/TransInConfirm`, `${busi}/TransInCancel`);
    }, { wait_result: true });
    say(`tcc ${gid} confirmed`);
  } catch (err) {
    if (!(err instanceof DtmFailure)) throw err;
    say(`tcc ${gid} aborted: ${err.message}`);
    await bothCancelled; // the server cancels every registered branch (the failed try's too)
    say(`tcc ${gid} cancelled`);
  }
}
server.close();
