import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LIST_PAGE_VIEW_CHARS, takePage } from '../../../src/log/list-page.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { MemoryEventLog } from '../../../src/log/memory/memory-event-log.js';
import type { EventLog, TransSummary } from '../../../src/log/event-log.js';
import { rec, summary } from '../../contract/event-log-builders.js';
import { tempDir } from '../../support/temp-dir.js';

/** A `list` page is bounded by the characters of its views as well as by `limit`. */
const withView = (gid: string, chars: number): TransSummary => summary(gid, { view: JSON.stringify({ transaction: { gid }, branches: [], pad: 'x'.repeat(chars) }) });

describe('takePage', () => {
  const rows = [5, 4, 3, 2, 1].map((id) => ({ id, s: withView(`g${id}`, 100) }));
  const page = (limit: number, maxChars: number) => takePage(rows, limit, (r) => r.s, (r) => r.id, maxChars);

  it('stops at `limit` with the last id as the position, and gives \'\' when the rows run out first', () => {
    expect(page(2, 1e9)).toMatchObject({ items: [{ gid: 'g5' }, { gid: 'g4' }], nextPosition: '4' });
    expect(page(10, 1e9).nextPosition).toBe('');
    expect(page(10, 1e9).items).toHaveLength(5);
  });

  it('stops after the summary that brings the views to the bound (one always fits), continuing after it', () => {
    const each = rows[0]!.s.view.length;
    expect(page(10, each * 2)).toMatchObject({ items: [{ gid: 'g5' }, { gid: 'g4' }], nextPosition: '4' });
    expect(page(10, each * 2 + 1).items).toHaveLength(3);
    expect(page(10, 1).items).toHaveLength(1);
  });
});

describe('list on the real adapters: views past LIST_PAGE_VIEW_CHARS continue on the next page', () => {
  const open: Array<{ log: EventLog; dir?: string }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.log.close();
      if (o.dir !== undefined) fs.rmSync(o.dir, { recursive: true, force: true });
    }
  });
  const adapters: Array<[string, () => EventLog]> = [
    ['sqlite', () => {
      const dir = tempDir('dtx-list-page-');
      const log = SqliteEventLog.open({ dir, syncCommit: false });
      open.push({ log, dir });
      return log;
    }],
    ['memory', () => {
      const log = new MemoryEventLog();
      open.push({ log });
      return log;
    }],
  ];

  it.each(adapters)('%s: 5 transactions of 6 Mi-character views come in pages of 3 and 2, all of them', async (_name, make) => {
    const log = make();
    const big = Math.ceil(LIST_PAGE_VIEW_CHARS * 0.375); // three reach the bound, two do not
    for (let i = 1; i <= 5; i++) await log.append([rec(`big${i}`, 1)], [withView(`big${i}`, big)]);
    const first = await log.list({ limit: 10_000 });
    expect(first.items.map((s) => s.gid)).toEqual(['big5', 'big4', 'big3']);
    expect(first.nextPosition).not.toBe('');
    const second = await log.list({ limit: 10_000, position: first.nextPosition });
    expect(second.items.map((s) => s.gid)).toEqual(['big2', 'big1']);
    expect(second.nextPosition).toBe('');
  });
});
