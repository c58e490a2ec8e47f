/**
 * The workflow scenarios of the golden event logs (spec §7.7, test/fixtures/event-logs), recorded
 * by record-golden-logs.ts: the calls the dtm workflow SDK makes (prepareWorkflow, one
 * registerBranch per step outcome, a submit with `req_extra`), and dtx calling the resume
 * callback of a workflow its client left unfinished.
 */

type Answer = [status: number, body: string];
type Body = (url: (p: string) => string) => Record<string, unknown>;

/** What the loopback branch service does for the nth call of a path, instead of a scripted answer. */
export type CallbackHook = (nth: number) => Promise<Answer>;
export interface CallbackContext {
  readonly origin: string;
  readonly gid: string;
}

export interface WorkflowScenario {
  readonly name: string;
  readonly answers: Record<string, Answer[]>;
  readonly calls: Array<{ route: string; body: Body }>;
  readonly until: string;
  readonly callbacks?: (ctx: CallbackContext) => Record<string, CallbackHook>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** As the Go SDK writes it: `{"data":<base64>,"name":<workflow name>}`. */
const custom = (name: string, input: string) => JSON.stringify({ data: b64(input), name });
const prepare = (p: string, extra: Record<string, unknown> = {}): Body => (u) => ({ trans_type: 'workflow', custom_data: custom('transfer', '{"amount":30}'), query_prepared: u(`/${p}/resume`), protocol: 'http', ...extra });
const progress = (id: string, op: string, status: string, data = '') => ({ trans_type: 'workflow', branch_id: id, op, status, data });
const end = (status: string, reason = '', result = '') => ({ trans_type: 'workflow', req_extra: { status, rollback_reason: reason, result: b64(result) } });

async function post(origin: string, route: string, body: unknown): Promise<void> {
  const res = await fetch(`${origin}/api/dtmsvr/${route}`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${route} answered ${res.status} ${await res.text()}`);
}

export const WORKFLOW_SCENARIOS: WorkflowScenario[] = [
  { name: 'workflow-succeed', answers: {}, until: 'succeed', calls: [
    { route: 'prepareWorkflow', body: prepare('ws') },
    { route: 'registerBranch', body: () => progress('01', 'action', 'succeed', '{"out":1}') },
    { route: 'registerBranch', body: () => progress('02', 'action', 'succeed') },
    { route: 'registerBranch', body: () => progress('01', 'commit', 'succeed') },
    { route: 'submit', body: () => end('succeed', '', 'transferred') },
  ] },
  { name: 'workflow-failed', answers: {}, until: 'failed', calls: [
    { route: 'prepareWorkflow', body: prepare('wf') },
    { route: 'registerBranch', body: () => progress('01', 'action', 'succeed') },
    { route: 'registerBranch', body: () => progress('02', 'action', 'failed', '{"dtm_result":"FAILURE","message":"Insufficient balance"}') },
    { route: 'registerBranch', body: () => progress('01', 'rollback', 'succeed') },
    { route: 'submit', body: () => end('failed', '{"dtm_result":"FAILURE","message":"Insufficient balance"} FAILURE') },
  ] },
  // the client stopped after step 01; the first callback answers ONGOING, the second (one lease
  // later) runs step 02 and ends the workflow before it answers
  { name: 'workflow-resumed', answers: {}, until: 'succeed', calls: [
    { route: 'prepareWorkflow', body: prepare('wr', { retry_interval: 1 }) },
    { route: 'registerBranch', body: () => progress('01', 'action', 'succeed') },
  ], callbacks: ({ origin, gid }) => ({
    '/wr/resume': async (nth) => {
      if (nth === 1) return [425, '{"dtm_result":"ONGOING"}'];
      await post(origin, 'registerBranch', { gid, ...progress('02', 'action', 'succeed') });
      await post(origin, 'submit', { gid, ...end('succeed', '', 'resumed') });
      return [200, '{"dtm_result":"SUCCESS"}'];
    },
  }) },
];
