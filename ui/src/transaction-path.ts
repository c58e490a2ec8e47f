/**
 * The app path of a transaction's page and the gid read back from one; pure (no DOM), so the
 * router, the pages and unit tests share it. Contract: for every gid,
 * `gidOfPath(path, params)` of the path and query of `transactionPath(gid)` is `gid`.
 *
 * A gid is normally one path segment, `/admin/transactions/<encodeURIComponent(gid)>`. The URL
 * parser (WHATWG, every browser) removes the dot segments `.` and `..` even when percent-encoded
 * (`%2E`, `.%2e`, `%2E%2E` are dot segments too), so the link of gid `..` would open `/admin/`: those
 * two gids go in the query string instead, `/admin/transactions/?gid=..`.
 */
export const TRANS_PREFIX = '/admin/transactions/';

/** The gids a path segment cannot carry, percent-encoded or not. */
const DOT_SEGMENTS: ReadonlySet<string> = new Set(['.', '..']);

/** App path (with its query, if any) of a transaction's page. */
export function transactionPath(gid: string): string {
  if (DOT_SEGMENTS.has(gid)) return `${TRANS_PREFIX}?${new URLSearchParams({ gid }).toString()}`;
  return `${TRANS_PREFIX}${encodeURIComponent(gid)}`;
}

/**
 * The gid of a transaction page's app path (`path` below the base, `params` its query), or
 * undefined when the path names no transaction: not below TRANS_PREFIX, no gid, or a segment
 * decodeURIComponent refuses (`%ZZ`, a lone `%`, invalid UTF-8). Never throws: the app shows such
 * a path as not found instead of failing to render.
 */
export function gidOfPath(path: string, params: URLSearchParams): string | undefined {
  if (!path.startsWith(TRANS_PREFIX)) return undefined;
  const segment = path.slice(TRANS_PREFIX.length);
  if (segment === '') {
    const gid = params.get('gid');
    return gid !== null && gid !== '' ? gid : undefined;
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    // URIError: a path typed or edited by hand, which no transactionPath() gives
    return undefined;
  }
}
