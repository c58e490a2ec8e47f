import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, FAILURE, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { installChromium, launchChromium, type ChromiumSession } from '../support/chromium-browser.js';
import { SqliteEventLog } from '../../src/log/sqlite/sqlite-event-log.js';
import type { LogRecord } from '../../src/log/event-log.js';

/**
 * The admin UI in headless Chromium against the real `dtx serve` process and real branch services:
 * list, filter and page; a rolled-back saga's timeline; the live view; force-stopping a stuck saga
 * through the confirmation dialog; the UI under an AdminBasePath; a history too long for the server.
 */
let dtx: DtxProcess;
let bs: BranchServer;
let browser: ChromiumSession;
let page: Page;
const gids = { ok: gidOf('ui-ok'), rolledBack: gidOf('ui-rb'), stuck: gidOf('ui-stuck') };

const tokyoTime = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(iso));
const site = () => `http://127.0.0.1:${dtx.port}`;
const rowGids = () => page.locator('table.transactions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-gid')));

beforeAll(async () => {
  installChromium();
  [dtx, bs, browser] = await Promise.all([startDtx(), BranchServer.start(), launchChromium()]);
  page = await browser.context.newPage();
  bs.on('/ok/a', SUCCESS).on('/rb/a1', SUCCESS).on('/rb/a2', FAILURE).on('/stuck/a', ERROR500);
  // created one after the other: the listing shows them newest first
  await post(dtx.api, 'submit', saga(gids.ok, [{ action: bs.url('/ok/a'), compensate: bs.url('/ok/c') }], { wait_result: true }));
  await post(dtx.api, 'submit', saga(gids.rolledBack, [
    { action: bs.url('/rb/a1'), compensate: bs.url('/rb/c1') },
    { action: bs.url('/rb/a2'), compensate: bs.url('/rb/c2') },
  ], { wait_result: true }));
  await post(dtx.api, 'submit', saga(gids.stuck, [{ action: bs.url('/stuck/a'), compensate: bs.url('/stuck/c') }], { retry_interval: 60 }));
  await waitStatus(dtx.api, gids.rolledBack, 'failed');
  await waitFor(() => Promise.resolve(bs.callsTo('/stuck/a', gids.stuck).length), (n) => n >= 1, 20_000, 'the stuck saga to call its branch');
}, 900_000); // a first run installs Chromium with apt-get

afterAll(async () => {
  await browser?.close();
  await dtx?.kill();
  await bs?.close();
});

describe('admin UI in Chromium', () => {
  it('lists transactions newest first, filters by status and pages with cursors', async () => {
    await page.goto(`${site()}/`);
    await expect.poll(rowGids).toEqual([gids.stuck, gids.rolledBack, gids.ok]);
    const statuses = await page.locator('table.transactions tbody tr td:nth-child(3)').allTextContents();
    expect(statuses).toEqual(['submitted', 'failed', 'succeed']);
    // times in the browser's zone (Asia/Tokyo here), the exact instant in the tooltip
    const created = page.locator('table.transactions tbody tr').first().locator('time').first();
    const iso = String((await query(dtx.api, gids.stuck)).transaction?.create_time);
    expect(await created.getAttribute('title')).toBe(iso);
    expect(await created.textContent()).toBe(tokyoTime(iso));

    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(rowGids).toEqual([gids.rolledBack]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');

    await page.getByLabel('Status').selectOption('aborting');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No transactions match these filters.').waitFor();

    // one per page: Next follows next_position, Previous walks back through the seen cursors
    await page.goto(`${site()}/admin/transactions?limit=1`);
    await expect.poll(rowGids).toEqual([gids.stuck]);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(rowGids).toEqual([gids.rolledBack]);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(rowGids).toEqual([gids.ok]);
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(rowGids).toEqual([gids.rolledBack]);
  });

  it('shows a rolled-back saga: branches, compensations in order in the timeline, replay verified', async () => {
    await page.goto(`${site()}/`);
    await page.getByRole('link', { name: gids.rolledBack }).click();
    await page.locator('table.timeline').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/transactions/${gids.rolledBack}`);

    const branchRows = await page.locator('table.branches tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(branchRows).toEqual([
      ['01', 'compensate', 'succeed'],
      ['01', 'action', 'succeed'],
      ['02', 'compensate', 'succeed'],
      ['02', 'action', 'failed'],
    ]);
    const timeline = page.locator('table.timeline tbody tr');
    const steps = await timeline.evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-event')} ${r.getAttribute('data-branch') ?? ''}/${r.getAttribute('data-op') ?? ''}`));
    expect(steps).toEqual(['TransCreated /', 'BranchSucceeded 01/action', 'BranchFailed 02/action', 'BranchSucceeded 02/compensate', 'BranchSucceeded 01/compensate']);
    const failed = timeline.filter({ has: page.locator('td', { hasText: 'BranchFailed' }) });
    expect(await failed.locator('td.message').textContent()).toBe('{"dtm_result":"FAILURE","message":"Insufficient balance"} FAILURE');
    expect(await failed.locator('td:nth-child(5)').textContent()).toBe('FAILURE');
    expect(await page.locator('.verification').getAttribute('data-verified')).toBe('true');
    expect(await page.getByRole('button', { name: 'Force stop…' }).isDisabled()).toBe(true);
  });

  it('live view: the live-transactions gauge and finished per second from /api/metrics', async () => {
    await page.goto(`${site()}/admin/live`);
    const live = page.locator('[data-metric="live-transactions"]');
    await expect.poll(() => live.textContent(), { timeout: 20_000 }).toBe('1'); // the stuck saga
    await expect.poll(() => page.locator('[data-metric="finished-per-sec"]').textContent(), { timeout: 20_000 }).toMatch(/^\d+(\.\d+)?$/);
    await page.locator(`table.transactions tr[data-gid="${gids.stuck}"]`).waitFor();
  });

  it('resets the next cron time and force-stops a stuck saga through the confirmation dialog', async () => {
    await page.goto(`${site()}/admin/transactions/${encodeURIComponent(gids.stuck)}`);
    const status = page.locator('dl.fields dd .badge');
    await expect.poll(() => status.textContent()).toBe('submitted');
    const dialog = page.getByRole('dialog');

    // retry_interval is 60 s: only the reset makes dtx call the branch again now
    const calls = bs.callsTo('/stuck/a', gids.stuck).length;
    await page.getByRole('button', { name: 'Reset next cron time…' }).click();
    await dialog.getByRole('button', { name: 'Reset next cron time', exact: true }).click();
    await page.getByRole('status').getByText('Reset next cron time: SUCCESS').waitFor();
    await waitFor(() => Promise.resolve(bs.callsTo('/stuck/a', gids.stuck).length), (n) => n > calls, 20_000, 'the retry after the reset');

    await page.getByRole('button', { name: 'Force stop…' }).click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(gids.stuck);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await query(dtx.api, gids.stuck)).transaction?.status).toBe('submitted');

    await page.getByRole('button', { name: 'Force stop…' }).click();
    await dialog.getByRole('button', { name: 'Force stop', exact: true }).click();
    await page.getByRole('status').getByText('Force stop: SUCCESS').waitFor();
    await expect.poll(() => status.textContent()).toBe('failed');
    expect((await query(dtx.api, gids.stuck)).transaction?.status).toBe('failed');
    expect(bs.callsTo('/stuck/c', gids.stuck)).toHaveLength(0); // force stop compensates nothing
    expect(await page.locator('table.timeline tbody tr').last().getAttribute('data-event')).toBe('TransForceStopped');
  });

  it('leaves the API its own 404 and serves hashed assets cacheable for a year', async () => {
    const missing = await fetch(`${site()}/api/dtmsvr/noSuchRoute`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found');
    const index = await (await fetch(`${site()}/admin/transactions/whatever`)).text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(asset).toBeDefined();
    const res = await fetch(`${site()}/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });
});

describe('admin UI under AdminBasePath', () => {
  let ops: DtxProcess;
  beforeAll(async () => {
    ops = await startDtx({ env: { ADMIN_BASE_PATH: '/ops/' } });
  });
  afterAll(async () => {
    await ops?.kill();
  });

  it('serves the app, its assets and its links below the base path', async () => {
    const root = `http://127.0.0.1:${ops.port}`;
    const bare = await fetch(`${root}/ops`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/ops/');
    expect((await fetch(`${root}/`)).status).toBe(404);

    await page.goto(`${root}/ops/admin/transactions`);
    await page.getByText('No transactions yet.').waitFor();
    const liveLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' });
    expect(await liveLink.getAttribute('href')).toBe('/ops/admin/live');
    await liveLink.click();
    await page.locator('[data-metric="live-transactions"]').waitFor();
    expect(new URL(page.url()).pathname).toBe('/ops/admin/live');
  });
});

describe('admin UI on a transaction whose history the server refuses', () => {
  const gid = gidOf('ui-long');
  let long: DtxProcess;
  beforeAll(async () => {
    // a saga retried past HISTORY_MAX_EVENTS (50,000): created by dtx, its retries appended to its log while dtx is stopped
    const first = await startDtx();
    await post(first.api, 'submit', saga(gid, [{ action: 'http://127.0.0.1:9/never', compensate: '' }], { retry_interval: 3600 }));
    await waitFor(async () => (await query(first.api, gid)).branches?.length ?? 0, (n) => n > 0, 10_000, 'the saga to be stored');
    await first.kill();
    const log = SqliteEventLog.open({ dir: first.dataDir, syncCommit: false });
    const stored = await log.read(gid);
    let seq = stored.at(-1)!.seq;
    const at = stored.at(-1)!.at;
    for (let batch = 0; batch < 10; batch++) {
      const records: LogRecord[] = [];
      for (let i = 0; i < 5001; i++) records.push({ v: 1, gid, seq: ++seq, type: 'CronReset', at, data: {}, cmd: `fill:${seq}` });
      await log.append(records, []);
    }
    await log.close();
    long = await startDtx({ dataDir: first.dataDir });
  }, 120_000);
  afterAll(async () => {
    await long?.kill();
  });

  it('shows the fields and branches, and says why the timeline is missing', async () => {
    await page.goto(`http://127.0.0.1:${long.port}/admin/transactions/${gid}`);
    await page.locator('table.branches').waitFor();
    expect(await page.locator('table.branches tbody tr').count()).toBe(2);
    const refused = page.locator('p.empty');
    expect(await refused.textContent()).toMatch(/has 5001\d events, more than the 50000 the server folds for one answer: run `dtx replay <gid>`/);
    expect(await page.locator('table.timeline').count()).toBe(0);
  });
});
