import type { FuzzTarget } from './fuzz-target.js';

/**
 * The end of a fuzz run: every transaction dtx holds must finish by itself or be ended by
 * forceStop (prepared msgs and sagas included), and its events must replay to the state dtx
 * reports (`GET /api/dtx/history` says `verified: true`).
 */
export interface SettleReport {
  readonly total: number;
  /** final status -> count, before forceStop */
  readonly finishedAlone: Record<string, number>;
  readonly forceStopped: number;
  readonly verified: number;
  readonly problems: string[];
}

const FINAL = new Set(['succeed', 'failed']);

interface Row {
  readonly gid: string;
  readonly status: string;
}

async function getJson(t: FuzzTarget, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.base}${path}`, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every transaction of the store, through `all` and its cursor. */
export async function listAll(t: FuzzTarget): Promise<Row[]> {
  const rows: Row[] = [];
  let position = '';
  for (;;) {
    const page = await getJson(t, `/api/dtmsvr/all?limit=10000${position ? `&position=${encodeURIComponent(position)}` : ''}`);
    if (page.status !== 200) throw new Error(`all answered ${page.status}: ${JSON.stringify(page.body)}`);
    for (const tr of (page.body.transactions ?? []) as Array<{ gid: string; status: string }>) rows.push({ gid: tr.gid, status: tr.status });
    position = String(page.body.next_position ?? '');
    if (position === '') return rows;
  }
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

/**
 * Ends every open transaction with forceStop (long runs, every `sweepEvery` cases): thousands of
 * transactions retrying ONGOING branches every second would otherwise load dtx more and more.
 * Returns the problems (answers other than 200, or 409 for one that finished meanwhile).
 */
export async function forceStopOpen(t: FuzzTarget): Promise<{ stopped: number; problems: string[] }> {
  const problems: string[] = [];
  let stopped = 0;
  await inBatches((await listAll(t)).filter((r) => !FINAL.has(r.status)), 8, async (r) => {
    const res = await fetch(`${t.base}/api/dtmsvr/forceStop`, { method: 'POST', body: JSON.stringify({ gid: r.gid }), signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (res.status === 200) stopped += 1;
    else if (res.status !== 409) problems.push(`forceStop of ${JSON.stringify(r.gid)} (${r.status}) answered ${res.status}: ${text}`);
  });
  return { stopped, problems };
}

export async function settleAll(t: FuzzTarget, graceMs: number): Promise<SettleReport> {
  const problems: string[] = [];
  const deadline = Date.now() + graceMs;
  let rows = await listAll(t);
  while (rows.some((r) => !FINAL.has(r.status)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    rows = await listAll(t);
  }
  const finishedAlone: Record<string, number> = {};
  for (const r of rows) if (FINAL.has(r.status)) finishedAlone[r.status] = (finishedAlone[r.status] ?? 0) + 1;
  const stop = await forceStopOpen(t);
  problems.push(...stop.problems);
  const after = await listAll(t);
  for (const r of after) if (!FINAL.has(r.status)) problems.push(`${JSON.stringify(r.gid)} is still ${r.status} after forceStop`);
  const known = new Set(after.map((r) => r.gid));
  for (const gid of t.accepted.keys()) if (!known.has(gid)) problems.push(`${JSON.stringify(gid)} was accepted but is not listed by all`);
  let verified = 0;
  await inBatches(after, 8, async (r) => {
    const h = await getJson(t, `/api/dtx/history?gid=${encodeURIComponent(r.gid)}`);
    if (h.status === 200 && h.body.verified === true && h.body.replayed_status === r.status) verified += 1;
    else problems.push(`history of ${JSON.stringify(r.gid)} (${r.status}): ${h.status} verified=${String(h.body.verified)} replayed=${String(h.body.replayed_status)} diff=${JSON.stringify(h.body.diff ?? h.body.message)}`);
  });
  return { total: after.length, finishedAlone, forceStopped: stop.stopped, verified, problems };
}
