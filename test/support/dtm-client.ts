/** A tiny client for dtm's HTTP API used by integration tests (the Go SDK is in test/interop). */
export interface ApiReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

async function toReply(res: Response): Promise<ApiReply> {
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* non-JSON answers are checked through `text` */
  }
  return { status: res.status, body: parsed, text };
}

export async function post(api: string, route: string, body: unknown): Promise<ApiReply> {
  return toReply(await fetch(`${api}/${route}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

export async function get(api: string, route: string): Promise<ApiReply> {
  return toReply(await fetch(`${api}/${route}`));
}

export interface QueryResult {
  transaction: null | { status: string; rollback_reason?: string; next_cron_time?: string; [k: string]: unknown };
  branches: Array<{ branch_id: string; op: string; status: string; [k: string]: unknown }>;
}

export async function query(api: string, gid: string): Promise<QueryResult> {
  return (await get(api, `query?gid=${encodeURIComponent(gid)}`)).body as unknown as QueryResult;
}

/** Polls `query` until `pred` holds (no sleeps as synchronisation: the condition is awaited). */
export async function waitFor<T>(fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!pred(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await fn();
  }
  return last;
}

export function waitStatus(api: string, gid: string, status: string, timeoutMs = 20_000): Promise<QueryResult> {
  return waitFor(() => query(api, gid), (q) => q.transaction?.status === status, timeoutMs, `${gid} to be ${status}`);
}

export const rows = (q: QueryResult): string[] => q.branches.map((b) => b.status);

let n = 0;
export function gidOf(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++n}`;
}

export function saga(gid: string, steps: Array<{ action: string; compensate: string }>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { gid, trans_type: 'saga', steps, payloads: steps.map(() => '{"amount":30}'), concurrent: false, ...extra };
}
