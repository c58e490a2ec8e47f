/**
 * The two ways dtm's drivers split a gRPC branch URL (spec §6.4, §11), shared by the built-ins
 * and offered to driver authors.
 */
import type { ServerMethod } from './driver.js';
import { DriverError } from './driver.js';

/**
 * dtm's default split: `server` = the text before the first '/', `method` = the rest, from that
 * '/' on (`127.0.0.1:50051/pkg.Svc/Method` → `127.0.0.1:50051` + `/pkg.Svc/Method`). Throws
 * dtm's `bad url: '<u>'. no '/' found`.
 */
export function splitAtFirstSlash(uri: string): ServerMethod {
  const sep = uri.indexOf('/');
  if (sep < 0) throw new DriverError(`bad url: '${uri}'. no '/' found`);
  return { server: uri.slice(0, sep), method: uri.slice(sep) };
}

/** A `scheme://authority/path?query` URL taken apart without normalising anything. */
export interface SchemeUrl {
  readonly scheme: string;
  /** Between `//` and the next `/`: `h1:2379,h2:2379`, '' for `discovery:///name`. */
  readonly authority: string;
  /** From the first '/' after the authority, '' when there is none; no query, no fragment. */
  readonly path: string;
  /** Without the '?', '' when absent. */
  readonly query: string;
}

const SCHEME_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

/** Parses `scheme://authority/path?query`; undefined when `uri` has no such shape. */
export function parseSchemeUrl(uri: string): SchemeUrl | undefined {
  const m = SCHEME_URL.exec(uri);
  if (m === null) return undefined;
  return { scheme: (m[1] ?? '').toLowerCase(), authority: m[2] ?? '', path: m[3] ?? '', query: m[4] ?? '' };
}

/**
 * The common pattern of dtm's non-default drivers (spec §11): a URL without `//` takes the
 * default split; otherwise `server` = `scheme://authority` + the first path segment and `method`
 * = the rest of the path (`etcd://h:2379/trans.rpc/pkg.Svc/Method` → `etcd://h:2379/trans.rpc` +
 * `/pkg.Svc/Method`). A query string is dropped, as Go's `url.Parse` drops it from the path.
 * Unlike dtm (which returns empty strings) a URL without a service segment and a method throws.
 */
export function splitSchemeUrl(uri: string): ServerMethod {
  if (!uri.includes('//')) return splitAtFirstSlash(uri);
  const url = parseSchemeUrl(uri);
  if (url === undefined) throw new DriverError(`bad url: '${uri}'. expected scheme://host/service/pkg.Service/Method`);
  const second = url.path.indexOf('/', 1);
  if (!url.path.startsWith('/') || second < 2 || second === url.path.length - 1) {
    throw new DriverError(`bad url: '${uri}'. expected ${url.scheme}://${url.authority}/<service>/<pkg.Service>/<Method>`);
  }
  return {
    server: `${url.scheme}://${url.authority}${url.path.slice(0, second)}`,
    method: url.path.slice(second),
  };
}
