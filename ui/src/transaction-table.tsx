import type { JSX } from 'preact';
import type { Transaction } from './dtm-types';
import { Link } from './router';
import { transactionPath } from './transaction-path';
import { StatusBadge } from './status-badge';
import { TimeText } from './time-text';

/** The listing's table: one row per transaction, its gid linking to its page. */
export function TransactionTable({ rows, caption }: { readonly rows: readonly Transaction[]; readonly caption?: string }): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="data transactions">
        {caption !== undefined ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            <th scope="col">GID</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Finished / rolled back</th>
            <th scope="col">Rollback reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.gid} data-gid={t.gid}>
              <td class="gid">
                <Link to={transactionPath(t.gid)}>{t.gid}</Link>
              </td>
              <td>{t.trans_type ?? ''}</td>
              <td>
                <StatusBadge value={t.status} />
              </td>
              <td>
                <TimeText value={t.create_time} />
              </td>
              <td>
                <TimeText value={t.update_time} />
              </td>
              <td>
                <TimeText value={t.finish_time ?? t.rollback_time} />
              </td>
              <td class="reason" title={t.rollback_reason}>
                {t.rollback_reason ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
