import type { IncomingHttpHeaders } from 'node:http';

/**
 * Cross-site request forgery. dtx's API takes a JSON body whatever its Content-Type, so any web
 * page an operator visits could POST `submit`, `abort` or `forceStop` (a "simple" request needs no
 * CORS preflight) and, with `Auth.Tokens` unset (dtm's default), be obeyed: the audit sent a saga
 * with `Origin: http://evil.example` and got 200 SUCCESS. Browsers say where a request comes from;
 * SDKs, curl and other servers send neither header, so they are never refused.
 *
 * Refused, for paths under `/api/`: `Sec-Fetch-Site` other than `same-origin` or `none` (a typed or
 * bookmarked URL), and an `Origin` whose host is not the request's `Host`. The admin UI calls the
 * API from its own origin. Pages of the UI itself (outside `/api/`) may be linked from anywhere.
 * Not covered: DNS rebinding (a hostile name resolving to dtx; then Origin and Host agree): set
 * `Auth.Tokens` where browsers of untrusted pages can reach dtx (docs/security.md).
 */
export function crossSiteProblem(url: string, headers: IncomingHttpHeaders): string | undefined {
  if (!url.startsWith('/api/')) return undefined;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request refused (Sec-Fetch-Site: ${String(site).slice(0, 32)}): dtx's API is not for other sites' pages`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (hostOf(origin) !== headers.host?.toLowerCase()) {
    return `cross-site request refused (Origin ${origin.slice(0, 256)} is not this server): dtx's API is not for other sites' pages`;
  }
  return undefined;
}

/** The `host[:port]` of an Origin as browsers send it (`scheme://host[:port]`); `null` and junk give undefined. */
function hostOf(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}
