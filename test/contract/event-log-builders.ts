/** Builders and helpers shared by the EventLog contract suites. */
import { expect } from 'vitest';
import type { EventLog, LogRecord, TransSummary } from '../../src/log/event-log.js';

export interface EventLogFixture {
  /** A fresh, empty log. */
  readonly log: EventLog;
  /** Closes the current log and opens the same storage again (a restart). */
  readonly reopen?: () => Promise<EventLog>;
  /** Closes whatever is open and deletes the storage. */
  readonly cleanup: () => Promise<void>;
  /** The log keeps stored states (StoredState) and gives the newest back with `readTail`. */
  readonly keepsStates?: boolean;
}

export type EventLogFactory = () => Promise<EventLogFixture>;

export function rec(gid: string, seq: number, over: Partial<Omit<LogRecord, 'v' | 'gid' | 'seq'>> = {}): LogRecord {
  return {
    v: 1,
    gid,
    seq,
    type: over.type ?? 'BranchSucceeded',
    at: over.at ?? 1_700_000_000_000 + seq,
    data: over.data ?? { branchId: `0${seq}`, note: 'ü ☃ "quoted"' },
    cmd: over.cmd ?? `cmd-${gid}-${seq}`,
  };
}

export function summary(gid: string, over: Partial<Omit<TransSummary, 'gid'>> = {}): TransSummary {
  return {
    gid,
    transType: over.transType ?? 'saga',
    status: over.status ?? 'submitted',
    createTime: over.createTime ?? 1_700_000_000_000,
    updateTime: over.updateTime ?? 1_700_000_000_500,
    nextCronTime: 'nextCronTime' in over ? over.nextCronTime : 1_700_000_010_000,
    finished: over.finished ?? false,
    view: over.view ?? JSON.stringify({ transaction: { gid, status: over.status ?? 'submitted' }, branches: [] }),
    ...(over.state === undefined ? {} : { state: over.state }),
  };
}

/** Records 1..n of one gid. */
export function recs(gid: string, from: number, to: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (let seq = from; seq <= to; seq++) out.push(rec(gid, seq));
  return out;
}

export async function collectOpen(log: EventLog): Promise<Map<string, LogRecord[]>> {
  const out = new Map<string, LogRecord[]>();
  for await (const { gid, records } of log.scanOpen()) {
    expect(out.has(gid), `scanOpen yielded ${gid} twice`).toBe(false);
    out.set(gid, records);
  }
  return out;
}

/** Asserts that `p` rejects with an error carrying `code` (the stable codes of src/errors.ts). */
export async function expectRejectCode(p: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a rejection with code ${code}`).toBeInstanceOf(Error);
  expect((caught as { code?: unknown }).code).toBe(code);
  return caught as Error;
}
