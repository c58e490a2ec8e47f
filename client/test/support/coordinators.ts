import { grpcDtm, httpDtm, closeBranchChannels, type DtmServer } from '../../src/index.js';
import { startDtx, type DtxProcess } from '../../../test/support/dtx-process.js';
import { query, type QueryResult } from '../../../test/support/dtm-client.js';

/** A coordinator under test (dtx or dtm): its HTTP and gRPC APIs through dtx-client, and the HTTP API base for `query`. */
export interface Coordinator {
  readonly name: string;
  readonly http: DtmServer;
  readonly grpc: DtmServer;
  readonly api: string;
  close(): Promise<void>;
}

/** The real `dtx serve` process (built by the root build) on random loopback ports. */
export async function startDtxCoordinator(env: Record<string, string> = {}): Promise<Coordinator & { readonly proc: DtxProcess }> {
  const proc = await startDtx({ env });
  const http = httpDtm(proc.api);
  const grpc = grpcDtm(`127.0.0.1:${proc.grpcPort}`);
  return {
    name: 'dtx',
    proc,
    http,
    grpc,
    api: proc.api,
    async close() {
      http.close();
      grpc.close();
      closeBranchChannels();
      await proc.kill();
    },
  };
}

/** The dtm v1.19.0 started by dtm-global-setup.ts. */
export function dtmCoordinator(addr: { http: string; grpc: string }): Coordinator {
  const http = httpDtm(addr.http);
  const grpc = grpcDtm(addr.grpc);
  return {
    name: 'dtm',
    http,
    grpc,
    api: addr.http,
    async close() {
      http.close();
      grpc.close();
      closeBranchChannels();
    },
  };
}

/** Polls `query` until the transaction has `status` (dtm's cron runs every second in the tests). */
export async function waitStatus(api: string, gid: string, status: string, timeoutMs = 30_000): Promise<QueryResult> {
  const deadline = Date.now() + timeoutMs;
  let last = await query(api, gid);
  while (last.transaction?.status !== status) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${gid} to be ${status}; last: ${JSON.stringify(last.transaction)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await query(api, gid);
  }
  return last;
}

/** Polls until `pred()` holds. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const statuses = (q: QueryResult): string[] => q.branches.map((b) => b.status);

let n = 0;
/** A gid unique to this run (dtm keeps every gid forever). */
export function newTestGid(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++n}`;
}
