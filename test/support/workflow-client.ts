import { get, post, type ApiReply } from './dtm-client.js';

/**
 * The dtm workflow SDK's calls to the server (client/workflow rpc.go), over HTTP, for integration
 * tests that play the client: prepareWorkflow with `{"data","name"}` custom_data, one registerBranch
 * per step outcome, a submit with `req_extra`. The Go SDK itself runs in test/interop.
 */

/** custom_data as the SDK writes it (Go map keys sorted; nil input is `null`). */
export function workflowCustomData(name: string, input?: string): string {
  return JSON.stringify({ data: input === undefined ? null : Buffer.from(input).toString('base64'), name });
}

export interface WorkflowRequest {
  readonly gid: string;
  readonly name: string;
  /** `query_prepared`: the client's resume callback */
  readonly callback: string;
  readonly input?: string;
  readonly extra?: Record<string, unknown>;
}

export function workflowBody(w: WorkflowRequest): Record<string, unknown> {
  return { gid: w.gid, trans_type: 'workflow', custom_data: workflowCustomData(w.name, w.input), query_prepared: w.callback, protocol: 'http', concurrent: false, ...w.extra };
}

export interface Progresses {
  readonly transaction: { gid: string; status: string; rollback_reason?: string; result?: string; [k: string]: unknown };
  readonly progresses: Array<{ branch_id: string; op: string; status: string; bin_data?: string; [k: string]: unknown }>;
}

export async function prepareWorkflow(api: string, w: WorkflowRequest): Promise<ApiReply & { progress: Progresses }> {
  const r = await post(api, 'prepareWorkflow', workflowBody(w));
  return { ...r, progress: r.body as unknown as Progresses };
}

/** A step's outcome: `data` is its output (succeed) or error text (failed). */
export function recordProgress(api: string, gid: string, branchId: string, op: string, status: 'succeed' | 'failed', data = ''): Promise<ApiReply> {
  return post(api, 'registerBranch', { gid, trans_type: 'workflow', branch_id: branchId, op, status, data });
}

/** The SDK's submit: `{gid, trans_type, req_extra}`, result as base64. */
export function endWorkflow(api: string, gid: string, status: 'succeed' | 'failed', opts: { reason?: string; result?: string } = {}): Promise<ApiReply> {
  const req_extra = { status, rollback_reason: opts.reason ?? '', result: Buffer.from(opts.result ?? '').toString('base64') };
  return post(api, 'submit', { gid, trans_type: 'workflow', req_extra });
}

/** The stored event types of `gid` (dtx's audit route). */
export async function eventTypes(api: string, gid: string): Promise<string[]> {
  const r = await get(api.replace(/\/dtmsvr$/, '/dtx'), `history?gid=${encodeURIComponent(gid)}`);
  return ((r.body.events as Array<{ type: string }> | undefined) ?? []).map((e) => e.type);
}
