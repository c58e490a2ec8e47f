import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { getJson } from './api-client';
import type { ListPage } from './dtm-types';
import { ErrorNotice } from './error-notice';
import { epochOf, FilterForm, filtersOf, searchOf, type ListFilters } from './list-filters';
import { navigate, type Location } from './router';
import { transactionPath } from './transaction-path';
import { TransactionTable } from './transaction-table';
import { useApi } from './use-api';

/**
 * Transactions over `GET /api/dtmsvr/all`, newest first on the embedded log. `all` pages with an
 * opaque forward cursor (`next_position`, '' at the end); "Previous" walks back through the
 * cursors this page has seen. Filters live in the URL; changing them starts at the first page.
 */
export function TransactionListPage({ location }: { readonly location: Location }): JSX.Element {
  const filters = filtersOf(location.params);
  const filterKey = searchOf(filters);
  // cursors[i] is the `position` of page i; page 0 starts at ''
  const [paging, setPaging] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [''] });
  const cursors = paging.key === filterKey ? paging.cursors : [''];
  const page = cursors.length - 1;
  const position = cursors[page] ?? '';

  const list = useApi(
    () =>
      getJson<ListPage>('/api/dtmsvr/all', {
        limit: filters.limit,
        position: position || undefined,
        status: filters.status || undefined,
        transType: filters.transType || undefined,
        createTimeStart: epochOf(filters.from),
        createTimeEnd: epochOf(filters.to),
      }),
    `${filterKey}|${position}`,
  );
  const rows = list.data?.transactions ?? [];
  const next = list.data?.next_position ?? '';

  const apply = (f: ListFilters) => {
    setPaging({ key: searchOf(f), cursors: [''] });
    navigate(`/admin/transactions${searchOf(f)}`);
  };
  const older = () => setPaging({ key: filterKey, cursors: [...cursors, next] });
  const newer = () => setPaging({ key: filterKey, cursors: cursors.slice(0, -1) });
  const first = () => setPaging({ key: filterKey, cursors: [''] });

  return (
    <section aria-labelledby="list-title">
      <div class="title-row">
        <h1 id="list-title">Transactions</h1>
        <GidJump />
      </div>
      <FilterForm value={filters} onApply={apply} />
      {list.error !== undefined ? <ErrorNotice error={list.error} what="Could not list transactions" /> : null}
      <div class="table-meta" aria-live="polite">
        {list.loading ? 'Loading…' : `Page ${page + 1} · ${rows.length} transaction${rows.length === 1 ? '' : 's'}`}
        <button type="button" class="secondary small" onClick={list.reload}>Refresh</button>
      </div>
      {rows.length > 0 ? <TransactionTable rows={rows} /> : list.loading || list.error !== undefined ? null : <p class="empty">{emptyText(filterKey, page)}</p>}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" onClick={first} disabled={page === 0}>First</button>
        <button type="button" class="secondary" onClick={newer} disabled={page === 0}>← Previous</button>
        <button type="button" class="secondary" onClick={older} disabled={list.loading || next === ''}>Next →</button>
      </nav>
    </section>
  );
}

function emptyText(filterKey: string, page: number): string {
  if (page > 0) return 'No more transactions: this is the end of the list.';
  return filterKey === '' ? 'No transactions yet.' : 'No transactions match these filters.';
}

function GidJump(): JSX.Element {
  const [gid, setGid] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const g = gid.trim();
    if (g !== '') navigate(transactionPath(g));
  };
  return (
    <form class="gid-jump" role="search" onSubmit={submit}>
      <label>
        <span class="visually-hidden">Open transaction by gid</span>
        <input name="gid" placeholder="Open by gid" value={gid} onInput={(e) => setGid((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <button type="submit">Open</button>
    </form>
  );
}
