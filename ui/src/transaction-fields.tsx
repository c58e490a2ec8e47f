import type { JSX } from 'preact';
import type { Transaction } from './dtm-types';
import { StatusBadge } from './status-badge';
import { formatDuration, TimeText } from './time-text';

/** A transaction's stored fields (spec §2.2), its options and its steps. */
export function TransactionFields({ trans }: { readonly trans: Transaction }): JSX.Element {
  const text = (v: string | undefined) => (v === undefined || v === '' ? <span class="muted">—</span> : <span class="pre">{v}</span>);
  return (
    <div class="fields-grid">
      <dl class="fields">
        <dt>GID</dt>
        <dd class="gid">{trans.gid}</dd>
        <dt>Type</dt>
        <dd>{text(trans.trans_type)}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge value={trans.status} />
        </dd>
        <dt>Protocol</dt>
        <dd>{text(trans.protocol)}</dd>
        <dt>Created</dt>
        <dd><TimeText value={trans.create_time} millis /></dd>
        <dt>Updated</dt>
        <dd><TimeText value={trans.update_time} millis /></dd>
        <dt>Finished</dt>
        <dd><TimeText value={trans.finish_time} millis /></dd>
        <dt>Rolled back</dt>
        <dd><TimeText value={trans.rollback_time} millis /></dd>
        <dt>Next cron time</dt>
        <dd><TimeText value={trans.next_cron_time} millis /></dd>
        <dt>Next cron interval</dt>
        <dd>{trans.next_cron_interval !== undefined ? formatDuration(trans.next_cron_interval * 1000) : <span class="muted">—</span>}</dd>
        <dt>Rollback reason</dt>
        <dd>{text(trans.rollback_reason)}</dd>
        <dt>Result</dt>
        <dd>{text(trans.result)}</dd>
        <dt>Custom data</dt>
        <dd>{text(trans.custom_data)}</dd>
        <dt>Query prepared</dt>
        <dd>{text(trans.query_prepared)}</dd>
      </dl>
      <div>
        <h3>Options</h3>
        <OptionsTable options={trans.options} />
        {trans.steps !== undefined && trans.steps.length > 0 ? <StepsTable steps={trans.steps} /> : null}
      </div>
    </div>
  );
}

function OptionsTable({ options }: { readonly options: string | undefined }): JSX.Element {
  if (options === undefined || options === '') return <p class="empty">No options recorded.</p>;
  let parsed: unknown;
  try {
    parsed = JSON.parse(options);
  } catch {
    return <pre class="code">{options}</pre>;
  }
  if (typeof parsed !== 'object' || parsed === null) return <pre class="code">{options}</pre>;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return <p class="empty">No options set.</p>;
  return (
    <table class="data compact options">
      <thead>
        <tr><th scope="col">Option</th><th scope="col">Value</th></tr>
      </thead>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td class="pre">{typeof v === 'string' ? v : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StepsTable({ steps }: { readonly steps: ReadonlyArray<Readonly<Record<string, string>>> }): JSX.Element {
  const ops = [...new Set(steps.flatMap((s) => Object.keys(s)))];
  return (
    <>
      <h3>Steps</h3>
      <table class="data compact steps">
        <thead>
          <tr>
            <th scope="col">#</th>
            {ops.map((op) => <th key={op} scope="col">{op}</th>)}
          </tr>
        </thead>
        <tbody>
          {steps.map((s, i) => (
            <tr key={i}>
              <td>{String(i + 1).padStart(2, '0')}</td>
              {ops.map((op) => <td key={op} class="url">{s[op] ?? ''}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
