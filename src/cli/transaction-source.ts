import type { ResolvedConfig } from '../config/index.js';
import { openAuditLog } from '../audit/audit-log.js';
import { DtxServerClient } from '../audit/dtx-server-client.js';
import type { DtmBranchView, DtmTransView } from '../engine/trans-view.js';
import { dtmViewText } from '../log/packed-view.js';

export interface ListQuery {
  readonly status?: string;
  readonly transType?: string;
  readonly limit: number;
  readonly position?: string;
}

export interface TransPage {
  readonly transactions: DtmTransView[];
  /** '' when there is nothing more */
  readonly nextPosition: string;
}

export interface TransDetail {
  readonly transaction: DtmTransView;
  readonly branches: DtmBranchView[];
}

/**
 * Where `dtx list` and `dtx show` read transactions: the local log (data dir, or the Kafka events
 * topic) or a running dtx (`--server`, through dtm's `all` and `query` routes). Both give dtm's
 * JSON shapes (spec §2.2, §2.3), so one renderer serves both.
 */
export interface TransactionSource {
  /** the data dir's `dtx.db`, or the server URL: named in every answer */
  readonly name: string;
  list(q: ListQuery): Promise<TransPage>;
  /** undefined when the gid is unknown */
  show(gid: string): Promise<TransDetail | undefined>;
  close(): Promise<void>;
}

export interface SourceOptions {
  readonly server?: string;
  readonly token?: string;
}

export async function openTransactionSource(opts: SourceOptions, config: ResolvedConfig): Promise<TransactionSource> {
  if (opts.server !== undefined) return serverSource(new DtxServerClient(opts.server, opts.token ?? config.Auth.Tokens[0]));
  const { log, source, dispose } = await openAuditLog(config);
  return {
    name: source,
    list: async (q) => {
      const page = await log.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.transType ? { transType: q.transType } : {}), ...(q.position ? { position: q.position } : {}) });
      return { transactions: page.items.map((s) => (JSON.parse(dtmViewText(s.view)) as TransDetail).transaction), nextPosition: page.nextPosition };
    },
    show: async (gid) => {
      const summary = await log.getSummary(gid);
      return summary === undefined ? undefined : (JSON.parse(dtmViewText(summary.view)) as TransDetail);
    },
    close: dispose,
  };
}

function serverSource(client: DtxServerClient): TransactionSource {
  return {
    name: client.base,
    list: async (q) => {
      const params = new URLSearchParams({ limit: String(q.limit), ...(q.status ? { status: q.status } : {}), ...(q.transType ? { transType: q.transType } : {}), ...(q.position ? { position: q.position } : {}) });
      const { body } = await client.getJson<{ transactions: DtmTransView[] | null; next_position: string }>(`/api/dtmsvr/all?${params.toString()}`);
      return { transactions: body?.transactions ?? [], nextPosition: body?.next_position ?? '' };
    },
    show: async (gid) => {
      const { body } = await client.getJson<{ transaction: DtmTransView | null; branches: DtmBranchView[] | null }>(`/api/dtmsvr/query?gid=${encodeURIComponent(gid)}`);
      return body?.transaction ? { transaction: body.transaction, branches: body.branches ?? [] } : undefined;
    },
    close: async () => undefined,
  };
}
