import fc from 'fast-check';
import { printable, type FuzzRequest } from './fuzz-requests.js';
import { wellFormedTrans, type Body } from './fuzz-trans-bodies.js';
import { branchUrl, type UrlTargets } from './fuzz-urls.js';
import { toJsonText } from './fuzz-values.js';

/**
 * Sequences of calls on one fresh gid (spec §5.9, the state x call matrix): prepare, submit (the
 * same body, or with wait_result flipped), abort as the stored type or as tcc/xa, forceStop,
 * resetNextCronTime, sent one after the other or all at once, so that calls race inside dtx.
 */
export interface CallSequence {
  readonly gid: string;
  readonly parallel: boolean;
  readonly requests: readonly FuzzRequest[];
}

type Op = 'prepare' | 'submit' | 'submit-wait-flipped' | 'abort' | 'abort-as-tcc' | 'abort-as-xa' | 'forceStop' | 'resetNextCronTime';
const OPS: readonly Op[] = ['prepare', 'submit', 'submit-wait-flipped', 'abort', 'abort-as-tcc', 'abort-as-xa', 'forceStop', 'resetNextCronTime'];

function requestOf(op: Op, body: Body): FuzzRequest {
  const route = op.startsWith('submit') ? 'submit' : op.startsWith('abort') ? 'abort' : op;
  let json: Body = body;
  if (op === 'submit-wait-flipped') json = { ...body, wait_result: body.wait_result !== true };
  else if (op === 'abort-as-tcc' || op === 'abort-as-xa') json = { gid: body.gid, trans_type: op.slice('abort-as-'.length), rollback_reason: 'fuzz abort' };
  else if (op === 'forceStop' || op === 'resetNextCronTime') json = { gid: body.gid };
  return printable({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body: toJsonText(json), json });
}

/** A saga or msg on a fresh gid and 2-6 calls on it. */
export function callSequence(t: UrlTargets): fc.Arbitrary<CallSequence> {
  return fc.record({
    n: fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    type: fc.constantFrom('saga', 'msg'),
    body: wellFormedTrans(branchUrl(t)),
    ops: fc.array(fc.constantFrom(...OPS), { minLength: 2, maxLength: 6 }),
    parallel: fc.boolean(),
  }).map(({ n, type, body, ops, parallel }) => {
    const gid = `seq-${n.toString(36)}`;
    const steps = (body.steps as Array<Record<string, string>>).map((s) => (type === 'msg' ? { action: s.action ?? '' } : s));
    const full: Body = { ...body, gid, trans_type: type, steps };
    return { gid, parallel, requests: ops.map((op) => requestOf(op, full)) };
  });
}
