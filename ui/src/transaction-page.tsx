import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api-client';
import { BranchTable } from './branch-table';
import { isFinished, type QueryResult, type TransactionHistory } from './dtm-types';
import { ErrorNotice } from './error-notice';
import { EventTimeline } from './event-timeline';
import { Link } from './router';
import { TransActions } from './trans-actions';
import { TransactionFields } from './transaction-fields';
import { useApi } from './use-api';

const AUTO_REFRESH_MS = 3000;

interface PageData {
  readonly query: QueryResult;
  /** undefined when dtx holds no events for the gid */
  readonly history: TransactionHistory | undefined;
  /** Why the timeline is not shown when the server would not fold it (413: too many events). */
  readonly historyRefused?: string;
}

async function loadTransaction(gid: string): Promise<PageData> {
  const [query, history] = await Promise.all([
    getJson<QueryResult>('/api/dtmsvr/query', { gid }),
    getJson<TransactionHistory>('/api/dtx/history', { gid }).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined;
      if (err instanceof ApiError && err.status === 413) return err; // the fields and branches still show
      throw err;
    }),
  ]);
  return history instanceof ApiError ? { query, history: undefined, historyRefused: history.message } : { query, history };
}

/** One transaction: fields, branches, event timeline with replay verification, operator actions. */
export function TransactionPage({ gid }: { readonly gid: string }): JSX.Element {
  const page = useApi(() => loadTransaction(gid), gid);
  const [auto, setAuto] = useState(true);
  const trans = page.data?.query.transaction ?? null;
  const live = trans !== null && !isFinished(trans.status);

  useEffect(() => {
    if (!auto || !live) return;
    const timer = setInterval(page.reload, AUTO_REFRESH_MS);
    return () => clearInterval(timer);
  }, [auto, live, page.reload]);

  return (
    <section aria-labelledby="trans-title">
      <p class="breadcrumb">
        <Link to="/admin/transactions">← Transactions</Link>
      </p>
      <div class="title-row">
        <h1 id="trans-title">
          Transaction <span class="gid">{gid}</span>
        </h1>
        <div class="refresh">
          {live ? (
            <label>
              <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.currentTarget as HTMLInputElement).checked)} /> auto-refresh
            </label>
          ) : null}
          <button type="button" class="secondary small" onClick={page.reload}>Refresh</button>
        </div>
      </div>
      {page.error !== undefined ? <ErrorNotice error={page.error} what="Could not load the transaction" /> : null}
      {page.data === undefined ? (
        page.loading ? <p aria-live="polite">Loading…</p> : null
      ) : trans === null ? (
        <p class="empty">dtx knows no transaction with gid <span class="gid">{gid}</span>.</p>
      ) : (
        <>
          <TransActions trans={trans} onDone={page.reload} />
          <h2>Fields</h2>
          <TransactionFields trans={trans} />
          <h2>Branches</h2>
          <BranchTable branches={page.data.query.branches ?? []} />
          <h2>Event timeline</h2>
          {page.data.history !== undefined ? (
            <EventTimeline history={page.data.history} />
          ) : (
            <p class="empty">{page.data.historyRefused ?? 'No events are stored for this gid.'}</p>
          )}
        </>
      )}
    </section>
  );
}
