import { printable } from '../audit/printable.js';
import type { DtmBranchView, DtmTransView } from '../engine/trans-view.js';
import type { TransDetail, TransPage } from './transaction-source.js';

/** Plain-text tables for `dtx list` and `dtx show` (`--json` prints dtm's JSON instead). */

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const last = head.length - 1;
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === last ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The end of a transaction: its finish or rollback time, if it has one. */
function endOf(t: DtmTransView): string {
  return t.finish_time ?? t.rollback_time ?? '';
}

export function renderList(page: TransPage, source: string, nextCommand: (position: string) => string): string {
  if (page.transactions.length === 0) return `no transactions in ${source}\n`;
  const rows = page.transactions.map((t) => [
    printable(t.gid),
    printable(t.trans_type),
    printable(t.status),
    t.create_time,
    endOf(t),
    printable((t.rollback_reason ?? '').replace(/\s+/g, ' ')),
  ]);
  const out = [...table(['GID', 'TYPE', 'STATUS', 'CREATED', 'ENDED', 'REASON'], rows), '', `${page.transactions.length} transactions from ${source}, newest first`];
  if (page.nextPosition !== '') out.push(`more: ${printable(nextCommand(page.nextPosition))}`);
  return `${out.join('\n')}\n`;
}

export function renderDetail(d: TransDetail, source: string, replayCommand: string): string {
  const t = d.transaction;
  const fields: Array<[string, string | undefined]> = [
    ['gid', t.gid],
    ['type', t.trans_type],
    ['status', t.status],
    ['protocol', t.protocol],
    ['created', t.create_time],
    ['updated', t.update_time],
    ['finished', t.finish_time],
    ['rolled back', t.rollback_time],
    ['rollback reason', t.rollback_reason],
    ['next retry', t.status === 'succeed' || t.status === 'failed' ? undefined : t.next_cron_time],
    ['parked', t.dtx_parked ? `${t.dtx_parked.reason} (since ${t.dtx_parked.since})` : undefined],
    ['options', t.options !== '' && t.options !== '{}' ? t.options : undefined],
  ];
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  const out = shown.map(([k, v]) => `${k.padEnd(width)}  ${printable(v.replace(/\s+/g, ' '))}`);
  out.push('', ...branchTable(d.branches), '', `from ${source}; the event timeline: ${printable(replayCommand)}`);
  return `${out.join('\n')}\n`;
}

function branchTable(branches: readonly DtmBranchView[]): string[] {
  if (branches.length === 0) return ['no branches'];
  return table(
    ['BRANCH', 'OP', 'STATUS', 'FINISHED', 'URL'],
    branches.map((b) => [printable(b.branch_id), printable(b.op), printable(b.status), b.finish_time ?? '', printable(b.url ?? '')]),
  );
}
