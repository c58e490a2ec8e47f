import type { TransactionHistory } from './transaction-history.js';
import { formatDiff } from './json-diff.js';
import { printable } from './printable.js';

/**
 * Human-readable timeline for `dtx replay <gid>` (the --json flag prints the history object).
 * Columns are cut at 60 characters except the last, `detail`, which holds error causes and branch
 * answers in full (on one line): an operator reads the whole cause here, never half of it.
 */
export function renderHistory(h: TransactionHistory, source?: string): string {
  const head = ['time', 'seq', 'event', 'branch', 'op', 'status', 'duration', 'detail'];
  const rows = h.timeline.map((e) => [
    e.time,
    String(e.seq),
    e.event,
    printable(e.branch ?? ''),
    printable(e.op ?? ''),
    e.status,
    e.durationMs !== undefined ? `${e.durationMs} ms` : '',
    [e.calls?.length ? `calls ${e.calls.join(', ')}` : '', e.message ? oneLine(e.message) : ''].filter(Boolean).join('; '),
  ]);
  const last = head.length - 1;
  const widths = head.map((h0, i) => Math.min(60, Math.max(h0.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === last ? c : c.slice(0, 60).padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [
    `gid ${printable(h.gid)}  type ${printable(h.trans_type)}  status ${printable(h.status)}  events ${h.events.length}${source !== undefined ? `  (from ${printable(source)})` : ''}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    h.verified
      ? `verified: replaying ${h.events.length} events gives the state dtx reports (${h.replayed_status})`
      : `DIVERGENCE: replaying the events gives '${h.replayed_status}', dtx reports '${printable(h.status)}'\n${printable(formatDiff(h.diff))}`,
  ];
  return out.join('\n') + '\n';
}

function oneLine(s: string): string {
  return printable(s.replace(/\s+/g, ' ').trim());
}

/** `[#####.....] 50% 500/1000` on a TTY; plain lines otherwise. */
export function progressLine(done: number, total: number): string {
  const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
  const filled = Math.round(pct / 5);
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${pct}% ${done}/${total}`;
}
