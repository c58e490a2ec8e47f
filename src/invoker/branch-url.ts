/**
 * Branch URL conventions (spec §6.1, §6.2): which transport a branch URL takes, and the query
 * string dtm appends to HTTP branch calls.
 */

/** How one branch call is carried. `none`: URL '' succeeds without any call (spec §6.1). */
export type BranchTransport = 'none' | 'http' | 'json-rpc' | 'grpc';

/**
 * Spec §6.1: '' → none; protocol `http` or an http(s):// URL → HTTP, or JSON-RPC when the trans
 * protocol is `json-rpc` and the URL contains `method`; anything else → gRPC. So an `http` trans
 * with a `host:port/pkg.Svc/M` URL is sent as HTTP (and fails), as in dtm.
 */
export function branchTransportOf(protocol: string, url: string): BranchTransport {
  if (url === '') return 'none';
  if (protocol === 'http' || url.startsWith('http://') || url.startsWith('https://')) {
    return protocol === 'json-rpc' && url.includes('method') ? 'json-rpc' : 'http';
  }
  return 'grpc';
}

export interface BranchQuery {
  readonly branchId: string;
  readonly gid: string;
  readonly op: string;
  readonly transType: string;
}

/** Characters Go's `url.QueryEscape` keeps as they are. */
const QUERY_SAFE = /^[A-Za-z0-9\-_.~]*$/;

/**
 * Go's `url.QueryEscape`: only ALPHA / DIGIT / `-_.~` stay literal, space becomes `+`.
 * encodeURIComponent also keeps `!'()*`, so those are escaped here.
 */
export function queryEscape(value: string): string {
  if (QUERY_SAFE.test(value)) return value; // gids, branch ids, ops and types almost always are
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The URL of an HTTP branch call: the branch URL with `branch_id`, `gid`, `op`, `trans_type`
 * appended in this (alphabetical, Go `url.Values.Encode`) order. An existing query string is kept
 * and the new parameters follow an `&`; a `#fragment` stays last. No `dtm` parameter (spec §6.2).
 */
export function branchUrlWithQuery(url: string, q: BranchQuery): string {
  const added = [
    `branch_id=${queryEscape(q.branchId)}`,
    `gid=${queryEscape(q.gid)}`,
    `op=${queryEscape(q.op)}`,
    `trans_type=${queryEscape(q.transType)}`,
  ].join('&');
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const fragment = hashAt < 0 ? '' : url.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt < 0) return `${beforeHash}?${added}${fragment}`;
  const existing = beforeHash.slice(queryAt + 1);
  const sep = existing === '' || existing.endsWith('&') ? '' : '&';
  return `${beforeHash}${sep}${added}${fragment}`;
}

/** Value of the first `name` query parameter of a URL ('' when absent), as Go's `Query().Get`. */
export function queryParamOf(url: string, name: string): string {
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt < 0) return '';
  return new URLSearchParams(beforeHash.slice(queryAt + 1)).get(name) ?? '';
}
