import type { JSX } from 'preact';

/**
 * Times are shown in the browser's local time zone, readable; the exact ISO instant (UTC) is in
 * the tooltip and the `datetime` attribute.
 */

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const withMillis = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});

function toDate(value: string | number | null | undefined): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const d = new Date(value);
  // Go's zero time (0001-01-01) means "unset" in dtm's JSON
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1 ? undefined : d;
}

export function formatLocal(value: string | number | null | undefined, millis = false): string {
  const d = toDate(value);
  return d === undefined ? '' : (millis ? withMillis : dateTime).format(d);
}

export function TimeText({ value, millis = false }: { readonly value: string | number | null | undefined; readonly millis?: boolean }): JSX.Element {
  const d = toDate(value);
  if (d === undefined) return <span class="muted">—</span>;
  const iso = d.toISOString();
  return (
    <time dateTime={iso} title={iso}>
      {(millis ? withMillis : dateTime).format(d)}
    </time>
  );
}

/** "1.2 s", "35 ms", "3 min 5 s": for durations in the timeline and intervals. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return min < 60 ? `${min} min ${s} s` : `${Math.floor(min / 60)} h ${min % 60} min`;
}
