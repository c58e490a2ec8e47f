import type { JSX } from 'preact';

/**
 * Transaction / branch statuses and branch results as coloured badges. The word is always shown
 * (colour is never the only signal); colours come from styles.css (`.badge-<value>`).
 */
export function StatusBadge({ value }: { readonly value: string | undefined }): JSX.Element {
  if (value === undefined || value === '') return <span class="muted">—</span>;
  const cls = /^[a-z]+$/i.test(value) ? `badge badge-${value.toLowerCase()}` : 'badge';
  return <span class={cls}>{value}</span>;
}
