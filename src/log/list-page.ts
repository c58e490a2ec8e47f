import type { ListPage, TransSummary } from './event-log.js';
import { viewChars } from './packed-view.js';

/**
 * The characters of views one `list` page may hold (16 Mi). A page is built in memory and then
 * sent whole: 10,000 summaries (the largest `limit`) of transactions with 2,000 branch rows each
 * would be gigabytes, enough to take the process down. A page stops after the summary that brings
 * its views to this bound and gives the position after it, so a client paging through
 * `next_position` (dtm's SDKs, the admin UI) sees every transaction, in more pages.
 */
export const LIST_PAGE_VIEW_CHARS = 16 * 1024 * 1024;

/**
 * A `list` page from `rows` (newest first, already filtered): at most `limit` summaries, and no
 * more once their views reach `maxViewChars`. `nextPosition` is the id of the last summary when
 * the page stopped at either bound, '' when the rows ran out first.
 */
export function takePage<R>(rows: Iterable<R>, limit: number, summaryOf: (row: R) => TransSummary, idOf: (row: R) => number, maxViewChars = LIST_PAGE_VIEW_CHARS): ListPage {
  const items: TransSummary[] = [];
  let chars = 0;
  for (const row of rows) {
    const summary = summaryOf(row);
    items.push(summary);
    chars += viewChars(summary.view);
    if (items.length >= limit || chars >= maxViewChars) return { items, nextPosition: String(idOf(row)) };
  }
  return { items, nextPosition: '' };
}
