import { describe, expect, it } from 'vitest';
import { browserGuard } from '../../../src/ingress/http/browser-guard.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** Cross-site request forgery: browser requests to /api/ from other sites are refused. */
describe('browserGuard: cross-site requests', () => {
  const guard = browserGuard({ allowedHosts: ['dtx.local'], ownNames: [] });
  const host = 'dtx.local:36789';
  it.each<[string, Record<string, string>]>([
    ['an SDK or curl (neither header)', { host }],
    ['the admin UI (same origin)', { host, origin: 'http://dtx.local:36789', 'sec-fetch-site': 'same-origin' }],
    ['a typed or bookmarked URL', { host, 'sec-fetch-site': 'none' }],
    ['an Origin in another case', { host, origin: 'http://DTX.local:36789' }],
  ])('passes %s', (_what, headers) => {
    expect(guard('/api/dtmsvr/submit', headers)).toBeUndefined();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['another site\'s page', { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, /Sec-Fetch-Site: cross-site/],
    ['another port of the same host (same-site)', { host, 'sec-fetch-site': 'same-site' }, /Sec-Fetch-Site: same-site/],
    ['an Origin naming another server (older browsers)', { host, origin: 'http://evil.example' }, /Origin http:\/\/evil\.example is not this server/],
    ['an opaque origin (a sandboxed frame, a file)', { host, origin: 'null' }, /Origin null is not this server/],
  ])('refuses %s', (_what, headers, message) => {
    expect(guard('/api/dtmsvr/forceStop', headers)).toMatch(message);
  });

  it('leaves pages of the admin UI alone: they may be linked from anywhere', () => {
    expect(guard('/transactions/g1', { host, 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' })).toBeUndefined();
  });
});

/** DNS rebinding: a hostile name resolving to dtx makes Origin and Host agree; the name itself is checked. */
describe('browserGuard: the Host a browser names', () => {
  const guard = browserGuard({ allowedHosts: ['dtx.example', '*.corp.example'], ownNames: ['build-07', '0.0.0.0'] });
  const get = (host: string, headers: Record<string, string> = {}) => guard('/api/dtmsvr/all', { host, 'user-agent': BROWSER, ...headers });

  it.each([
    '127.0.0.1:36789', '[::1]:36789', '10.1.2.3', 'localhost:36789', 'LOCALHOST.', 'admin.localhost:36789',
    'build-07:36789', 'dtx.example', 'DTX.Example.:36789', 'a.corp.example', 'b.a.corp.example:80',
  ])('serves a browser naming %s', (host) => {
    expect(get(host)).toBeUndefined();
  });

  it.each([
    ['a rebinding name', 'evil.example:36789'],
    ['a name that only ends like an allowed one', 'xdtx.example'],
    ['the parent of a subdomain pattern', 'corp.example'],
    ['a look-alike of localhost', 'localhost.evil.example'],
    ['junk', 'a b'],
  ])('refuses %s (%s) on every path', (_what, host) => {
    expect(get(host)).toMatch(/not a name of this server .*HttpAllowedHosts$/);
    expect(guard('/admin/', { host, 'sec-fetch-mode': 'navigate' })).toMatch(/DNS rebinding/);
  });

  it('a rebound page\'s POST (Origin and Host agree) is refused by the name', () => {
    expect(guard('/api/dtmsvr/submit', { host: 'evil.example:36789', origin: 'http://evil.example:36789' })).toMatch(/DNS rebinding/);
  });

  it('checks no request without a browser\'s headers: SDKs behind any name work as with dtm', () => {
    for (const agent of ['Go-http-client/1.1', 'python-requests/2.32', 'undici', 'Prometheus/2.53']) {
      expect(guard('/api/dtmsvr/submit', { host: 'dtx.svc.cluster.local:36789', 'user-agent': agent })).toBeUndefined();
    }
    expect(guard('/api/dtmsvr/submit', { host: 'evil.example' })).toBeUndefined();
  });

  it('leaves /api/ping alone: monitors with a browser User-Agent may name dtx anyhow', () => {
    expect(get('monitor.example', {})).toMatch(/DNS rebinding/);
    expect(guard('/api/ping', { host: 'monitor.example', 'user-agent': 'Mozilla/5.0+(compatible; UptimeRobot/2.0)' })).toBeUndefined();
  });

  it('* allows any name, the cross-site check still applies', () => {
    const any = browserGuard({ allowedHosts: ['*'], ownNames: [] });
    expect(any('/api/dtmsvr/all', { host: 'whatever.example', 'user-agent': BROWSER })).toBeUndefined();
    expect(any('/api/dtmsvr/all', { host: 'whatever.example', 'sec-fetch-site': 'cross-site' })).toMatch(/cross-site request refused/);
  });
});

/** The documented gap (docs/security.md): a request showing no browser sign is not checked, whatever it names. */
describe('browserGuard and requests without a browser sign', () => {
  it('passes them: SDKs and reverse proxies may name dtx anyhow, and so may a Firefox page that replaced its User-Agent', () => {
    expect(browserGuard({ allowedHosts: [], ownNames: [] })('/api/dtmsvr/all', { host: 'evil.example', 'user-agent': 'x' })).toBeUndefined();
  });
});
