import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, getText } from './api-client';
import type { ListPage, Transaction } from './dtm-types';
import { ErrorNotice } from './error-notice';
import { formatRate, ratesBetween, snapshotOf, type LiveRates, type LiveSnapshot } from './live-rates';
import { parsePrometheusText } from '../../src/observability/prometheus-text';
import { Link } from './router';
import { formatDuration } from './time-text';
import { TransactionTable } from './transaction-table';

const INTERVALS_S: readonly number[] = [2, 3, 5, 10];
const KEEP = 60;
const UNFINISHED = ['prepared', 'submitted', 'aborting'];

interface Point {
  readonly snap: LiveSnapshot;
  readonly rates: LiveRates | undefined;
}

/** The newest unfinished transactions (a few of each unfinished status, newest first). */
async function inFlight(): Promise<Transaction[]> {
  const pages = await Promise.all(UNFINISHED.map((status) => getJson<ListPage>('/api/dtmsvr/all', { status, limit: 10 })));
  return pages
    .flatMap((p) => p.transactions ?? [])
    .sort((a, b) => String(b.create_time ?? '').localeCompare(String(a.create_time ?? '')))
    .slice(0, 20);
}

/**
 * Live view: polls `/api/metrics` every few seconds and shows the live-transactions gauge and
 * rates derived from dtm's counters (finished per second, branch calls, requests, appends).
 */
export function LivePage(): JSX.Element {
  const [intervalS, setIntervalS] = useState(3);
  const [paused, setPaused] = useState(false);
  const [points, setPoints] = useState<Point[]>([]);
  const [flying, setFlying] = useState<Transaction[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const last = useRef<LiveSnapshot | undefined>(undefined);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    const poll = async () => {
      try {
        const [text, trans] = await Promise.all([getText('/api/metrics'), inFlight()]);
        if (stopped) return;
        const snap = snapshotOf(parsePrometheusText(text), Date.now());
        const rates = last.current !== undefined ? ratesBetween(last.current, snap) : undefined;
        last.current = snap;
        setPoints((ps) => [...ps, { snap, rates }].slice(-KEEP));
        setFlying(trans);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(err);
      }
    };
    // the next scrape is scheduled after this one answered: slow answers never pile up
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      await poll();
      if (!stopped) timer = setTimeout(() => void loop(), intervalS * 1000);
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalS, paused]);

  const now = points[points.length - 1];
  const rates = now?.rates;
  const liveSeries = points.map((p) => p.snap.live ?? 0);
  const finishedSeries = points.filter((p) => p.rates !== undefined).map((p) => p.rates?.finishedPerSec ?? 0);

  return (
    <section aria-labelledby="live-title">
      <div class="title-row">
        <h1 id="live-title">Live</h1>
        <div class="refresh">
          <label>
            Every{' '}
            <select value={String(intervalS)} onChange={(e) => setIntervalS(Number((e.currentTarget as HTMLSelectElement).value))}>
              {INTERVALS_S.map((s) => <option key={s} value={String(s)}>{s} s</option>)}
            </select>
          </label>
          <button type="button" class="secondary small" onClick={() => setPaused(!paused)} aria-pressed={paused}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
      </div>
      {error !== undefined ? <ErrorNotice error={error} what="Could not read metrics" /> : null}
      {now === undefined ? (
        <p aria-live="polite">{error === undefined ? 'Reading /api/metrics…' : ''}</p>
      ) : (
        <>
          <div class="cards">
            <Card id="live-transactions" title="Live transactions" value={now.snap.live === undefined ? '—' : String(now.snap.live)} note="unfinished, held by the partitions">
              <Sparkline values={liveSeries} label="Live transactions" />
            </Card>
            <Card id="finished-per-sec" title="Finished / s" value={formatRate(rates?.finishedPerSec)} note={`failed / s: ${formatRate(rates?.failedPerSec)}`}>
              <Sparkline values={finishedSeries} label="Finished transactions per second" />
            </Card>
            <Card id="branch-calls-per-sec" title="Branch calls / s" value={formatRate(rates?.branchCallsPerSec)} note={`${now.snap.branchFails} failed calls since start`} />
            <Card id="requests-per-sec" title="API requests / s" value={formatRate(rates?.requestsPerSec)} note={`${now.snap.requests} since start`} />
            <Card id="events-per-sec" title="Events written / s" value={formatRate(rates?.eventsPerSec)} note={`mean durable append: ${rates?.appendMs === undefined ? '—' : `${rates.appendMs.toFixed(2)} ms`}`} />
            <Card id="process" title="Process" value={now.snap.residentBytes === undefined ? '—' : `${Math.round(now.snap.residentBytes / 1048576)} MiB`} note={now.snap.startTimeSeconds === undefined ? 'resident memory' : `resident memory · up ${formatDuration(now.snap.at - now.snap.startTimeSeconds * 1000)}`} />
          </div>
          <p class="muted">
            Finished since start: {now.snap.finishedOk} succeeded, {now.snap.finishedFail} failed.
            {now.snap.partitionsOwned ? ` Kafka partitions owned: ${now.snap.partitionsOwned}, consumer lag: ${now.snap.consumerLag ?? 0}.` : ''}
            {rates === undefined ? ' Rates appear after the second sample.' : ''}
          </p>
          <ModelTable snap={now.snap} rates={rates} />
        </>
      )}
      <h2>In flight</h2>
      {flying === undefined ? null : flying.length === 0 ? (
        <p class="empty">No unfinished transactions.</p>
      ) : (
        <>
          <TransactionTable rows={flying} caption="Newest unfinished transactions" />
          <p>
            All of them: <Link to="/admin/transactions?status=submitted">submitted</Link>, <Link to="/admin/transactions?status=aborting">aborting</Link>, <Link to="/admin/transactions?status=prepared">prepared</Link>.
          </p>
        </>
      )}
    </section>
  );
}

function Card(props: { readonly id: string; readonly title: string; readonly value: string; readonly note: string; readonly children?: JSX.Element }): JSX.Element {
  return (
    <div class="card" aria-labelledby={`${props.id}-title`} role="group">
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <p class="card-value" data-metric={props.id}>{props.value}</p>
      {props.children}
      <p class="muted small">{props.note}</p>
    </div>
  );
}

function ModelTable({ snap, rates }: { readonly snap: LiveSnapshot; readonly rates: LiveRates | undefined }): JSX.Element | null {
  if (snap.byModel.size === 0) return null;
  return (
    <table class="data compact models">
      <caption>Finished transactions by type</caption>
      <thead>
        <tr><th scope="col">Type</th><th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Finished / s</th></tr>
      </thead>
      <tbody>
        {[...snap.byModel].map(([model, [ok, fail]]) => (
          <tr key={model}>
            <th scope="row">{model}</th>
            <td>{ok}</td>
            <td>{fail}</td>
            <td>{formatRate(rates?.finishedPerSecByModel.get(model))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const SPARK_W = 240;
const SPARK_H = 48;

/**
 * A small line chart of recent values (oldest left). It is an image with a text alternative that
 * states the range; the exact current value is shown beside it as text.
 */
function Sparkline({ values, label }: { readonly values: readonly number[]; readonly label: string }): JSX.Element {
  const finite = values.filter((v) => Number.isFinite(v));
  const max = Math.max(1, ...finite);
  const min = Math.min(0, ...finite);
  const step = values.length > 1 ? SPARK_W / (values.length - 1) : SPARK_W;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(SPARK_H - 2 - ((Number.isFinite(v) ? v : 0) - min) / (max - min) * (SPARK_H - 4)).toFixed(1)}`).join(' ');
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  return (
    <svg class="sparkline" viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} width={SPARK_W} height={SPARK_H} role="img" aria-label={`${label}: last ${values.length} samples, between ${lo.toFixed(2)} and ${hi.toFixed(2)}`} preserveAspectRatio="none">
      <line x1="0" y1={SPARK_H - 2} x2={SPARK_W} y2={SPARK_H - 2} class="sparkline-axis" />
      {values.length > 1 ? <polyline points={points} class="sparkline-line" /> : null}
    </svg>
  );
}
