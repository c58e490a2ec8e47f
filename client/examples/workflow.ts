// A workflow over HTTP: two steps with compensations; the resume callback lets dtx re-run an
// unfinished workflow (recorded steps are not run again).
// Run `npm start` at the repository root, then `node client/dist/examples/workflow.js`.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { dtmExpressHandler, DtmFailure, httpDtm, workflowHttpCallback, Workflows } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_HTTP, say } from './example-env.js';

const app = express();
// the branch service the workflow calls
for (const step of ['TransOut', 'TransOutRevert', 'TransIn', 'TransInRevert']) {
  app.post(`/api/${step}`, express.json(), dtmExpressHandler(async (ctx, req: express.Request) => {
    say(`${step} ${ctx.gid} ${ctx.op}`);
    if (step === 'TransIn' && (req.body as { amount: number }).amount > 100) throw new DtmFailure('amount too large');
  }));
}
// the resume callback: dtx calls it to execute an unfinished workflow again
app.post('/workflow/resume', express.raw({ type: () => true }), async (req, res) => {
  const answer = await workflowHttpCallback(workflows, req.query as Record<string, unknown>, new Uint8Array(req.body as Buffer));
  res.status(answer.status).type('application/json').send(answer.body);
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const dtm = httpDtm(DTX_HTTP);
const workflows = new Workflows(dtm, `${base}/workflow/resume`).register('transfer', async (wf, data) => {
  wf.newBranch().onRollback(async () => void (await wf.request(`${base}/api/TransOutRevert`, { body: JSON.parse(new TextDecoder().decode(data)) })));
  await wf.request(`${base}/api/TransOut`, { body: data });
  wf.newBranch().onRollback(async () => void (await wf.request(`${base}/api/TransInRevert`, { body: JSON.parse(new TextDecoder().decode(data)) })));
  await wf.request(`${base}/api/TransIn`, { body: data });
  return new TextEncoder().encode('done');
});

for (const amount of [30, 500]) {
  const gid = await dtm.newGid();
  try {
    const result = await workflows.execute('transfer', gid, new TextEncoder().encode(JSON.stringify({ amount })));
    say(`workflow ${gid} succeeded: ${new TextDecoder().decode(result)}`);
  } catch (err) {
    if (!(err instanceof DtmFailure)) throw err;
    say(`workflow ${gid} rolled back: ${err.message}`);
  }
}
server.close();
