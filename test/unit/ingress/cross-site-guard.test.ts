import { describe, expect, it } from 'vitest';
import { crossSiteProblem } from '../../../src/ingress/http/cross-site-guard.js';

/** Cross-site request forgery: browser requests to /api/ from other sites are refused. */
describe('crossSiteProblem', () => {
  const host = 'dtx.local:36789';
  it.each<[string, Record<string, string>]>([
    ['an SDK or curl (neither header)', { host }],
    ['the admin UI (same origin)', { host, origin: 'http://dtx.local:36789', 'sec-fetch-site': 'same-origin' }],
    ['a typed or bookmarked URL', { host, 'sec-fetch-site': 'none' }],
    ['an Origin in another case', { host, origin: 'http://DTX.local:36789' }],
  ])('passes %s', (_what, headers) => {
    expect(crossSiteProblem('/api/dtmsvr/submit', headers)).toBeUndefined();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['another site\'s page', { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, /Sec-Fetch-Site: cross-site/],
    ['another port of the same host (same-site)', { host, 'sec-fetch-site': 'same-site' }, /Sec-Fetch-Site: same-site/],
    ['an Origin naming another server (older browsers)', { host, origin: 'http://evil.example' }, /Origin http:\/\/evil\.example is not this server/],
    ['an opaque origin (a sandboxed frame, a file)', { host, origin: 'null' }, /Origin null is not this server/],
  ])('refuses %s', (_what, headers, message) => {
    expect(crossSiteProblem('/api/dtmsvr/forceStop', headers)).toMatch(message);
  });

  it('leaves pages of the admin UI alone: they may be linked from anywhere', () => {
    expect(crossSiteProblem('/transactions/g1', { host, 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' })).toBeUndefined();
  });
});
