import { it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import { Driver, makeSpec, makeCreated, sec, answer, calls, rows, makeCron, makeResult } from './builders.js';
it('explore', () => {
  // timeout with step 1 ONGOING
  const d = new Driver(sagaMachine);
  let s = d.send(makeCreated(makeSpec({ options: { timeoutToFail: 30 } }), 'submitted', sec(0)));
  const c1 = calls(s.effects)[0]!;
  s = d.send(answer(c1, 'ONGOING', sec(1)));
  console.log('after ongoing', d.status, rows(d.snapshot), JSON.stringify(s.effects), s.persisted);
  // stale
  s = d.send(answer(c1, 'SUCCESS', sec(2)));
  console.log('stale same?', s.snapshot === s.before, s.effects);
  s = d.send(makeCron(sec(31)));
  console.log('cron after deadline', d.status, rows(d.snapshot), JSON.stringify(s.effects), d.ctx.rollbackReason);
  // success after deadline
  const e = new Driver(sagaMachine);
  s = e.send(makeCreated(makeSpec({ options: { timeoutToFail: 30 } }), 'submitted', sec(0)));
  s = e.send(answer(calls(s.effects)[0]!, 'SUCCESS', sec(1)));
  s = e.send(answer(calls(s.effects)[0]!, 'SUCCESS', sec(40)));
  console.log('success after deadline', e.status, rows(e.snapshot), JSON.stringify(s.effects), e.ctx.rollbackReason);
  const f = new Driver(sagaMachine);
  s = f.send(makeCreated(makeSpec({ options: { timeoutToFail: 30 } }), 'submitted', sec(0)));
  s = f.send(answer(calls(s.effects)[0]!, 'SUCCESS', sec(35)));
  console.log('step1 success after deadline', f.status, rows(f.snapshot), JSON.stringify(s.effects), f.ctx.rollbackReason);
});
