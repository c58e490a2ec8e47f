import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { TRANS_STATUSES, TRANS_TYPES } from './dtm-types';

/** The listing's filters as they live in the URL query (shareable, kept on reload). */
export interface ListFilters {
  readonly status: string;
  readonly transType: string;
  /** `datetime-local` values (local time), '' when unset */
  readonly from: string;
  readonly to: string;
  readonly limit: number;
}

export const PAGE_SIZES: readonly number[] = [20, 50, 100];

/** `limit` may be any integer 1..1000 in the URL; the form offers PAGE_SIZES. */
export function filtersOf(params: URLSearchParams): ListFilters {
  const limit = Number(params.get('limit'));
  return {
    status: params.get('status') ?? '',
    transType: params.get('transType') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : 20,
  };
}

export function searchOf(f: ListFilters): string {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.transType) q.set('transType', f.transType);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.limit !== 20) q.set('limit', String(f.limit));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** A `datetime-local` value as epoch ms in the browser's zone, undefined when empty or invalid. */
export function epochOf(local: string): number | undefined {
  if (local === '') return undefined;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export function FilterForm({ value, onApply }: { readonly value: ListFilters; readonly onApply: (f: ListFilters) => void }): JSX.Element {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const set = (patch: Partial<ListFilters>) => setDraft((d) => ({ ...d, ...patch }));
  const input = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
  const badRange = draft.from !== '' && draft.to !== '' && (epochOf(draft.from) ?? 0) > (epochOf(draft.to) ?? 0);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!badRange) onApply(draft);
  };
  const clear = () => onApply({ status: '', transType: '', from: '', to: '', limit: value.limit });

  return (
    <form class="filters" onSubmit={submit} aria-label="Filter transactions">
      <label>
        Status
        <select name="status" value={draft.status} onChange={(e) => set({ status: input(e) })}>
          <option value="">any</option>
          {TRANS_STATUSES.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Type
        <input name="transType" list="trans-types" value={draft.transType} placeholder="any" size={10} onInput={(e) => set({ transType: input(e).trim() })} />
        <datalist id="trans-types">
          {TRANS_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </label>
      <label>
        Created from
        <input name="from" type="datetime-local" step={1} value={draft.from} onInput={(e) => set({ from: input(e) })} />
      </label>
      <label>
        Created to
        <input name="to" type="datetime-local" step={1} value={draft.to} onInput={(e) => set({ to: input(e) })} aria-invalid={badRange} />
      </label>
      <label>
        Per page
        <select name="limit" value={String(draft.limit)} onChange={(e) => set({ limit: Number(input(e)) })}>
          {(PAGE_SIZES.includes(draft.limit) ? PAGE_SIZES : [draft.limit, ...PAGE_SIZES]).map((n) => (
            <option key={n} value={String(n)}>{n}</option>
          ))}
        </select>
      </label>
      <div class="filter-buttons">
        <button type="submit" disabled={badRange}>Apply filters</button>
        <button type="button" class="secondary" onClick={clear}>Clear</button>
      </div>
      {badRange ? <p class="field-error" role="alert">"Created from" is after "Created to".</p> : null}
    </form>
  );
}
