import { describe, expect, it } from 'vitest';
import { gidOfPath, transactionPath, TRANS_PREFIX } from '../../../ui/src/transaction-path.js';

/**
 * The admin UI's transaction links: every gid survives the browser's URL parsing (WHATWG, as
 * Node's URL) and comes back from the app path; a malformed path is not found instead of a blank app.
 */

/** What the app reads after the browser follows the link of `gid` under base path `base`. */
function roundTrip(gid: string, base = '/ops'): string | undefined {
  const url = new URL(`${base}${transactionPath(gid)}`, 'http://127.0.0.1:36789/');
  const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
  return gidOfPath(path, url.searchParams);
}

const gids = ['.', '..', '...', '.a', 'a.', 'a..b', '%2E', '%2e%2e', '/', 'a/../b', '../x', '?q=1', '#h', 'a b+c', "a'$(x)'b", 'naïve 😀', '\u202e\u200b', '%ZZ', 'g%2F1', 'gid-01'];

describe('transactionPath and gidOfPath', () => {
  it.each(gids)('gid %j round-trips through a browser URL', (gid) => {
    expect(roundTrip(gid)).toBe(gid);
    expect(roundTrip(gid, '')).toBe(gid);
  });

  it('keeps an ordinary gid in the path and puts the dot segments . and .. in the query', () => {
    expect(transactionPath('gid-01')).toBe('/admin/transactions/gid-01');
    expect(transactionPath('a.b')).toBe('/admin/transactions/a.b');
    expect(transactionPath('.')).toBe('/admin/transactions/?gid=.');
    expect(transactionPath('..')).toBe('/admin/transactions/?gid=..');
    // percent-encoding does not help: the URL parser collapses %2E segments as well
    expect(new URL('http://h/admin/transactions/%2E%2E').pathname).toBe('/admin/');
  });

  it('gives no gid for a malformed percent-encoding instead of throwing', () => {
    const none = new URLSearchParams();
    for (const segment of ['%ZZ', '%', '%E0%A4%A', '%C0%80', 'a%2']) {
      expect(() => gidOfPath(`${TRANS_PREFIX}${segment}`, none)).not.toThrow();
      expect(gidOfPath(`${TRANS_PREFIX}${segment}`, none)).toBeUndefined();
    }
  });

  it('gives no gid outside a transaction page', () => {
    const none = new URLSearchParams();
    expect(gidOfPath('/admin/transactions', new URLSearchParams('gid=x'))).toBeUndefined();
    expect(gidOfPath('/admin/live', none)).toBeUndefined();
    expect(gidOfPath(TRANS_PREFIX, none)).toBeUndefined();
    expect(gidOfPath(TRANS_PREFIX, new URLSearchParams('gid='))).toBeUndefined();
    expect(gidOfPath(`${TRANS_PREFIX}g1`, new URLSearchParams('gid=other'))).toBe('g1');
  });
});
