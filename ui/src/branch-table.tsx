import type { JSX } from 'preact';
import type { Branch } from './dtm-types';
import { StatusBadge } from './status-badge';
import { TimeText } from './time-text';

/** A transaction's branch rows (spec §2.3) in dtm's insertion order. */
export function BranchTable({ branches }: { readonly branches: readonly Branch[] }): JSX.Element {
  if (branches.length === 0) return <p class="empty">No branches.</p>;
  return (
    <div class="table-wrap">
      <table class="data branches">
        <thead>
          <tr>
            <th scope="col">Branch</th>
            <th scope="col">Op</th>
            <th scope="col">Status</th>
            <th scope="col">URL</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {branches.map((b, i) => (
            <tr key={`${b.branch_id ?? ''}/${b.op ?? ''}/${i}`}>
              <td>{b.branch_id ?? ''}</td>
              <td>{b.op ?? ''}</td>
              <td><StatusBadge value={b.status} /></td>
              <td class="url">{b.url ?? ''}</td>
              <td><TimeText value={b.create_time} millis /></td>
              <td><TimeText value={b.update_time} millis /></td>
              <td><TimeText value={b.finish_time} millis /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
