import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { getJson } from './api-client';
import { LivePage } from './live-page';
import { Link, useLocation, type Location } from './router';
import { TokenPrompt } from './token-prompt';
import { TransactionListPage } from './transaction-list-page';
import { TransactionPage } from './transaction-page';
import { gidOfPath } from './transaction-path';
import { useApi } from './use-api';
import { clearToken, currentToken } from './auth-token';

/**
 * App routes, below the admin base path:
 *   /, /admin, /admin/transactions   transaction list (filters in the query string)
 *   /admin/transactions/<gid>        one transaction (gids '.' and '..': /admin/transactions/?gid=…,
 *                                    see transaction-path.ts); a malformed <gid> is not found
 *   /admin/live                      live metrics
 */
function route(loc: Location): { page: JSX.Element; title: string; section: 'list' | 'live' | '' } {
  if (loc.path === '/' || loc.path === '/admin' || loc.path === '/admin/' || loc.path === '/admin/transactions') {
    return { page: <TransactionListPage location={loc} />, title: 'Transactions', section: 'list' };
  }
  const gid = gidOfPath(loc.path, loc.params);
  if (gid !== undefined) {
    return { page: <TransactionPage key={gid} gid={gid} />, title: gid, section: 'list' };
  }
  if (loc.path === '/admin/live') return { page: <LivePage />, title: 'Live', section: 'live' };
  return {
    page: (
      <section>
        <h1>Page not found</h1>
        <p>
          Nothing lives at <code>{loc.path}</code>. Go to the <Link to="/admin/transactions">transactions</Link>.
        </p>
      </section>
    ),
    title: 'Not found',
    section: '',
  };
}

export function App(): JSX.Element {
  const loc = useLocation();
  const { page, title, section } = route(loc);
  const version = useApi(() => getJson<{ version: string }>('/api/dtmsvr/version'), 'version');
  useEffect(() => {
    document.title = `${title} · dtx admin`;
  }, [title]);

  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">dtx admin</span>
        <nav aria-label="Main">
          <Link to="/admin/transactions" aria-current={section === 'list' ? 'page' : undefined}>Transactions</Link>
          <Link to="/admin/live" aria-current={section === 'live' ? 'page' : undefined}>Live</Link>
        </nav>
        <span class="version muted">{version.data?.version ?? ''}</span>
        {currentToken() !== null ? (
          <button type="button" class="secondary small" onClick={() => { clearToken(); location.reload(); }}>Forget token</button>
        ) : null}
      </header>
      <main id="main">{page}</main>
      <TokenPrompt />
    </>
  );
}
