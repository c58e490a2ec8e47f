import { it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import { Driver, makeSpec, makeCreated, sec, answer, calls, rows, makeCron } from './builders.js';
it('explore', () => {
  const d = new Driver(sagaMachine);
  let s = d.send(makeCreated(makeSpec({}), 'submitted', sec(0)));
  console.log(d.status, rows(d.snapshot), JSON.stringify(s.effects), d.ctx.nextCronTime - sec(0));
  const c1 = calls(s.effects)[0]!;
  s = d.send(answer(c1, 'SUCCESS', sec(1)));
  console.log(d.status, rows(d.snapshot), JSON.stringify(s.effects));
  s = d.send(answer(calls(s.effects)[0]!, 'FAILURE', sec(2), 'boom'));
  console.log(d.status, rows(d.snapshot), JSON.stringify(s.effects), d.ctx.rollbackReason);
  s = d.send(answer(calls(s.effects)[0]!, 'SUCCESS', sec(3)));
  console.log(d.status, rows(d.snapshot), JSON.stringify(s.effects));
  s = d.send(answer(calls(s.effects)[0]!, 'SUCCESS', sec(4)));
  console.log(d.status, rows(d.snapshot), JSON.stringify(s.effects), d.ctx.rollbackReason);
  console.log(d.steps.map(x=>x.persisted));
});
