import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/**
 * What dtx refuses from browsers, before any route (403 `DTX_FORBIDDEN`). Without `Auth.Tokens`
 * (dtm's default) any web page an operator visits could otherwise drive dtx through the browser.
 * SDKs, curl, Prometheus and other servers are never refused: they send no `Origin`, no
 * `Sec-Fetch-*` and no browser `User-Agent`.
 *
 * 1. **DNS rebinding**, every path but `/api/ping`: a hostile name that resolves to dtx's address
 *    makes the page and dtx one origin, so the browser sends `Host: evil.example` and the checks
 *    below agree. A browser request must name dtx by an IP literal, `localhost` (or
 *    `*.localhost`), this machine's host name, or a name of `HttpAllowedHosts` (`*` = any). Not
 *    every page request can be told from an SDK's: on plain HTTP a same-origin GET carries no
 *    `Origin` or `Sec-Fetch-*`, and Firefox lets a page replace its `User-Agent` (docs/security.md:
 *    tokens). Checking every request would refuse SDKs and reverse proxies naming dtx otherwise.
 * 2. **Cross-site request forgery**, paths under `/api/`: dtx's API takes a JSON body whatever its
 *    Content-Type, so a page could POST `submit` or `forceStop` without a CORS preflight (the audit
 *    got 200 SUCCESS with `Origin: http://evil.example`). Refused: `Sec-Fetch-Site` other than
 *    `same-origin` or `none` (a typed URL), an `Origin` whose host is not the request's `Host`.
 *    The admin UI calls the API from its own origin; its pages may be linked from anywhere.
 */
export type BrowserGuard = (url: string, headers: IncomingHttpHeaders) => string | undefined;

export interface BrowserGuardOptions {
  /** `HttpAllowedHosts`: names (`dtx.example`), subdomain patterns (`*.example`), `*` for any. */
  readonly allowedHosts: readonly string[];
  /** Other names of this server: the machine's host name, `HttpHost` when it is a name. */
  readonly ownNames: readonly string[];
}

export function browserGuard(opts: BrowserGuardOptions): BrowserGuard {
  const anyHost = opts.allowedHosts.includes('*');
  const names = new Set(['localhost', ...opts.ownNames, ...opts.allowedHosts].map(bareName));
  const suffixes = opts.allowedHosts.filter((p) => p.startsWith('*.')).map((p) => bareName(p.slice(1)));
  const allowed = (name: string) => names.has(name) || name.endsWith('.localhost') || suffixes.some((s) => name.endsWith(s)) || isIP(unbracketed(name)) !== 0;
  return (url, headers) => {
    if (!fromBrowser(headers)) return undefined;
    const host = headers.host;
    if (!anyHost && host !== undefined && url !== '/api/ping' && !url.startsWith('/api/ping?')) {
      const name = hostNameOf(host);
      if (name === undefined || !allowed(name)) {
        return `browser request for host ${JSON.stringify(host.slice(0, 256))} refused: not a name of this server (a name that resolves to dtx may be DNS rebinding); add it to HttpAllowedHosts`;
      }
    }
    return url.startsWith('/api/') ? crossSiteProblem(headers) : undefined;
  };
}

/** A browser sends at least one of these; an SDK, curl or another server sends none. */
function fromBrowser(headers: IncomingHttpHeaders): boolean {
  if (headers.origin !== undefined || headers['sec-fetch-site'] !== undefined || headers['sec-fetch-mode'] !== undefined) return true;
  const agent = headers['user-agent'];
  return agent !== undefined && agent.startsWith('Mozilla/');
}

function crossSiteProblem(headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request refused (Sec-Fetch-Site: ${String(site).slice(0, 32)}): dtx's API is not for other sites' pages`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (originHostOf(origin) !== headers.host?.toLowerCase()) {
    return `cross-site request refused (Origin ${origin.slice(0, 256)} is not this server): dtx's API is not for other sites' pages`;
  }
  return undefined;
}

/** The name of a `Host` header as a browser resolved it (lowercase, punycode, no port, no final dot); junk gives undefined. */
function hostNameOf(host: string): string | undefined {
  try {
    const name = new URL(`http://${host}`).hostname;
    return name === '' ? undefined : bareName(name);
  } catch {
    return undefined;
  }
}

/** The `host[:port]` of an Origin as browsers send it (`scheme://host[:port]`); `null` and junk give undefined. */
function originHostOf(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

function bareName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function unbracketed(name: string): string {
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}
