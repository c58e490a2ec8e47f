/**
 * What dtm tells a branch about the call (dtm-spec §6.2, §6.4): HTTP query parameters `gid`,
 * `trans_type`, `branch_id`, `op` (and, on calls made by a client SDK, `dtm` and, for xa,
 * `phase2_url`); gRPC metadata `dtm-gid`, `dtm-trans_type`, ... with the same names.
 */
export interface BranchContext {
  readonly gid: string;
  readonly trans_type: string;
  readonly branch_id: string;
  readonly op: string;
  /** The server's address when a client SDK made the call (empty on the server's own calls). */
  readonly dtm: string;
  /** xa: the branch's phase-2 URL, sent by the client with the action call. */
  readonly phase2_url: string;
}

const KEYS = ['gid', 'trans_type', 'branch_id', 'op', 'dtm', 'phase2_url'] as const;

/** dtm's Escape: `\n`, `\r` and `;` are removed from every value. */
export function escapeValue(v: string): string {
  return v.replace(/[\n\r;]/g, '');
}

/** Reads the context from an HTTP query (express/fastify `req.query`, a URLSearchParams, or a plain object). */
export function branchContextFromQuery(query: URLSearchParams | Readonly<Record<string, unknown>>): BranchContext {
  const get = (k: string): string => {
    const v = query instanceof URLSearchParams ? query.get(k) : query[k];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? escapeValue(first) : '';
  };
  return Object.fromEntries(KEYS.map((k) => [k, get(k)])) as unknown as BranchContext;
}

/** Reads the context from `dtm-*` gRPC metadata given as a lookup function (grpc-js `Metadata.get`). */
export function branchContextFromLookup(lookup: (key: string) => string | undefined): BranchContext {
  return Object.fromEntries(KEYS.map((k) => [k, lookup(`dtm-${k}`) ?? ''])) as unknown as BranchContext;
}

/** Throws a TypeError naming the missing keys (a request that did not come from dtm). */
export function requireBranchContext(ctx: BranchContext, keys: ReadonlyArray<keyof BranchContext> = ['gid', 'trans_type', 'branch_id', 'op']): BranchContext {
  const missing = keys.filter((k) => ctx[k] === '');
  if (missing.length > 0) throw new TypeError(`not a dtm branch call: missing ${missing.join(', ')}`);
  return ctx;
}
