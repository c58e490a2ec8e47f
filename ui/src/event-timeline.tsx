import type { JSX } from 'preact';
import { RESULT_OF_EVENT, type TransactionHistory } from './dtm-types';
import { StatusBadge } from './status-badge';
import { formatDuration, TimeText } from './time-text';

/**
 * The audit of a transaction (`GET /api/dtx/history`): every stored event in order, what it did
 * (branch, result, duration, the calls it caused, its error cause in full), and whether folding
 * the events reproduces the state dtx reports.
 */
export function EventTimeline({ history }: { readonly history: TransactionHistory }): JSX.Element {
  const attempts = new Map(history.events.map((e) => [e.seq, typeof e.data['attempt'] === 'number' ? e.data['attempt'] : undefined]));
  return (
    <>
      <Verification history={history} />
      <div class="table-wrap">
        <table class="data timeline">
          <caption class="visually-hidden">Event timeline, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Branch / op</th>
              <th scope="col">Result</th>
              <th scope="col">Duration</th>
              <th scope="col">Status after</th>
              <th scope="col">Calls issued</th>
              <th scope="col">Cause / message</th>
            </tr>
          </thead>
          <tbody>
            {history.timeline.map((t) => {
              const attempt = attempts.get(t.seq);
              return (
                <tr key={t.seq} data-event={t.event} data-branch={t.branch} data-op={t.op}>
                  <td>{t.seq}</td>
                  <td><TimeText value={t.at} millis /></td>
                  <td>{t.event}</td>
                  <td>
                    {t.branch !== undefined ? `${t.branch} / ${t.op ?? ''}` : ''}
                    {attempt !== undefined && attempt > 1 ? <span class="muted"> (attempt {attempt})</span> : null}
                  </td>
                  <td>{RESULT_OF_EVENT[t.event] !== undefined ? <StatusBadge value={RESULT_OF_EVENT[t.event]} /> : ''}</td>
                  <td>{t.durationMs !== undefined ? formatDuration(t.durationMs) : ''}</td>
                  <td><StatusBadge value={t.status} /></td>
                  <td>{t.calls?.join(', ') ?? ''}</td>
                  <td class="pre message">{t.message ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <details class="raw-events">
        <summary>Raw events ({history.events.length})</summary>
        <pre class="code">{history.events.map((e) => JSON.stringify(e)).join('\n')}</pre>
      </details>
    </>
  );
}

function Verification({ history }: { readonly history: TransactionHistory }): JSX.Element {
  const n = history.events.length;
  if (history.verified) {
    return (
      <p class="notice notice-ok verification" data-verified="true">
        Replay verified: folding the {n} stored event{n === 1 ? '' : 's'} gives status <strong>{history.replayed_status}</strong> and exactly the state dtx reports.
      </p>
    );
  }
  return (
    <div class="notice notice-error verification" data-verified="false" role="alert">
      <p>
        Replay mismatch: folding the {n} stored events gives status <strong>{history.replayed_status}</strong>, dtx reports <strong>{history.status || '(none)'}</strong>.
      </p>
      <table class="data compact">
        <thead>
          <tr><th scope="col">Path</th><th scope="col">Replay gives</th><th scope="col">dtx reports</th></tr>
        </thead>
        <tbody>
          {history.diff.map((d) => (
            <tr key={d.path}>
              <td class="pre">{d.path}</td>
              <td class="pre">{JSON.stringify(d.expected)}</td>
              <td class="pre">{JSON.stringify(d.actual)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
