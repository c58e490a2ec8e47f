import { describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { LogUnavailable } from '../../../src/errors.js';
import { CHECKPOINT_CATCH_UP_FRAMES, CHECKPOINT_EVERY, CHECKPOINT_EVERY_MAX, CHECKPOINT_EVERY_MIN, CHECKPOINT_FRAMES, InlineAppender, type InlineSync } from '../../../src/log/sqlite/inline-appender.js';
import { ScriptedCheckpointer, turns } from '../../support/scripted-checkpointer.js';

const records: LogRecord[] = [{ v: 1, gid: 'g', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c' }];
const summaries: TransSummary[] = [];

/** A scripted fsync of the WAL: with `manual`, `durable()` settles when the test says (`settle`). */
class ScriptedSync implements InlineSync {
  broken: Error | undefined;
  asked = 0;
  manual = false;
  #pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  constructor(private readonly steps?: string[]) {}
  check(): void {
    if (this.broken) throw this.broken;
  }
  durable(): Promise<void> {
    this.asked += 1;
    this.steps?.push('walSync');
    if (!this.manual) return Promise.resolve();
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }
  settle(err?: Error): void {
    for (const p of this.#pending.splice(0)) if (err) p.reject(err); else p.resolve();
  }
}

function setup() {
  const checkpointer = new ScriptedCheckpointer();
  const sync = new ScriptedSync(checkpointer.steps);
  const inline = { calls: 0, fail: undefined as Error | undefined };
  const heard: Array<string | [number, boolean, boolean, boolean]> = [];
  const appender = new InlineAppender(
    () => {
      inline.calls += 1;
      if (inline.fail) throw inline.fail;
    },
    sync,
    checkpointer,
    { done: (r, exclusive, startsOver) => heard.push([r.frames, r.complete, exclusive, startsOver]), failed: (e) => heard.push((e as Error).message) },
  );
  const commits = async (n: number) => {
    for (let i = 0; i < n; i += 1) await appender.append(records, summaries);
  };
  return { checkpointer, sync, inline, appender, heard, commits };
}

/**
 * Runs a checkpoint that finds more than CHECKPOINT_CATCH_UP_FRAMES frames (`complete` as given), one
 * commit made while it runs when `during`: the next checkpoint is due at once, exclusive.
 */
async function toCatchUp(s: ReturnType<typeof setup>, complete: boolean, during: boolean): Promise<void> {
  s.checkpointer.manualSync = true;
  s.checkpointer.result = { frames: CHECKPOINT_CATCH_UP_FRAMES + 1, complete };
  await s.commits(CHECKPOINT_EVERY);
  await turns();
  if (during) await s.commits(1);
  await s.checkpointer.finishSync();
}

describe('InlineAppender', () => {
  it('resolves a commit once the WAL\'s fsync is done, and rejects it when that fails', async () => {
    const { inline, sync, appender } = setup();
    sync.manual = true;
    let done = false;
    const first = appender.append(records, summaries).then(() => (done = true));
    await turns();
    expect([inline.calls, sync.asked, done]).toEqual([1, 1, false]);
    sync.settle();
    await first;
    expect(done).toBe(true);
    const second = appender.append(records, summaries);
    sync.settle(new Error('EIO'));
    await expect(second).rejects.toThrow('EIO');
  });

  it('refuses every commit once commits cannot be made durable; rejects with a commit\'s own error and commits again after it', async () => {
    const { inline, sync, appender } = setup();
    inline.fail = new Error('disk full');
    await expect(appender.append(records, summaries)).rejects.toThrow('disk full');
    inline.fail = undefined;
    await expect(appender.append(records, summaries)).resolves.toBeUndefined();
    sync.broken = new Error('fdatasync failed');
    await expect(appender.append(records, summaries)).rejects.toThrow('fdatasync failed');
    expect(inline.calls).toBe(2);
  });

  it(`every ${CHECKPOINT_EVERY} commits: pins the WAL, copies once the WAL is durable, unpins only after the database's fsync`, async () => {
    const s = setup();
    const { checkpointer, sync, appender, commits } = s;
    await commits(CHECKPOINT_EVERY - 1);
    expect(checkpointer.steps.filter((x) => x !== 'walSync')).toEqual([]);
    sync.manual = true;
    const last = appender.append(records, summaries); // the 200th: its fsync and the checkpoint's are asked
    expect(checkpointer.steps.slice(-3)).toEqual(['walSync', 'pin', 'walSync']);
    await turns();
    expect(checkpointer.copies).toBe(0); // frames up to the pin may not be durable yet
    checkpointer.manualSync = true;
    sync.settle();
    await last;
    await turns();
    expect(checkpointer.steps.slice(-2)).toEqual(['copy', 'syncDatabase']);
    expect(checkpointer.pinned).toBe(true); // the WAL may not start over before the database is durable
    await checkpointer.finishSync();
    expect(checkpointer.steps.at(-1)).toBe('unpin');
    expect(s.heard).toEqual([[1000, true, false, true]]);
  });

  it('commits go on while a checkpoint runs; then the WAL did not start over, and the next one does not size the interval', async () => {
    const s = setup();
    const { checkpointer, inline, appender, commits } = s;
    checkpointer.manualSync = true;
    await commits(CHECKPOINT_EVERY);
    await turns();
    await commits(5); // during it: not held
    expect(inline.calls).toBe(CHECKPOINT_EVERY + 5);
    await checkpointer.finishSync();
    expect(s.heard).toEqual([[1000, true, false, false]]);
    checkpointer.manualSync = false;
    checkpointer.result = { frames: CHECKPOINT_FRAMES * 3, complete: true };
    await commits(appender.checkpointInterval - 5);
    await turns();
    expect(s.heard).toHaveLength(2);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY); // it found older frames too
  });

  it('sizes the interval so a checkpoint finds about CHECKPOINT_FRAMES frames, within its bounds, one checkpoint at a time', async () => {
    const { checkpointer, appender, commits } = setup();
    const round = async (frames: number) => {
      checkpointer.result = { frames, complete: true };
      await commits(appender.checkpointInterval);
      await turns(); // nothing committed while it ran: the WAL starts over
    };
    await round(CHECKPOINT_FRAMES * 2); // large commits: twice the frames wanted
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY / 2);
    await round(CHECKPOINT_FRAMES / 4);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY * 2);
    await round(1);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY_MAX);
    await round(CHECKPOINT_CATCH_UP_FRAMES);
    await round(10 ** 6);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY_MIN);
    // while one runs, no second starts: the commits count on, and the overdue one starts at the next commit
    checkpointer.manualSync = true;
    await commits(CHECKPOINT_EVERY_MIN);
    await commits(CHECKPOINT_EVERY_MIN * 2);
    expect(checkpointer.copies).toBe(6);
    await checkpointer.finishSync();
    await commits(1);
    await turns();
    expect(checkpointer.copies).toBe(7);
  });

  it(`after one that found over ${CHECKPOINT_CATCH_UP_FRAMES} frames with commits made meanwhile, the next starts at once and holds the commits until it ends`, async () => {
    const s = setup();
    const { checkpointer, inline, appender, commits } = s;
    await toCatchUp(s, true, true);
    checkpointer.result = { frames: 12, complete: true };
    await commits(1); // committed, then the catch-up starts: exclusive
    expect(inline.calls).toBe(CHECKPOINT_EVERY + 2);
    const order: number[] = [];
    const held = [1, 2, 3].map((n) => appender.append(records, summaries).then(() => order.push(n)));
    await turns();
    expect([inline.calls, order]).toEqual([CHECKPOINT_EVERY + 2, []]);
    expect(appender.whenIdle(() => 'pruned')).toBeUndefined(); // no write while commits wait
    await checkpointer.finishSync();
    await Promise.all(held);
    expect([inline.calls, order]).toEqual([CHECKPOINT_EVERY + 5, [1, 2, 3]]);
    expect(s.heard.slice(-1)).toEqual([[12, true, true, true]]);
    expect(appender.whenIdle(() => 'pruned')).toBe('pruned');
  });

  it('an exclusive checkpoint a reader held back (an online backup\'s snapshot) is not started again at once: commits go on until the next interval', async () => {
    const s = setup();
    const { checkpointer, inline, appender, commits } = s;
    await toCatchUp(s, false, false); // incomplete: the catch-up is due
    checkpointer.result = { frames: CHECKPOINT_CATCH_UP_FRAMES + 2, complete: false }; // a reader's snapshot: it cannot complete
    await appender.append(records, summaries); // the catch-up starts after it
    await turns();
    await checkpointer.finishSync();
    expect(s.heard.at(-1)).toEqual([CHECKPOINT_CATCH_UP_FRAMES + 2, false, true, false]);
    const before = { copies: checkpointer.copies, inline: inline.calls };
    await commits(appender.checkpointInterval - 1);
    expect([checkpointer.copies, inline.calls - before.inline]).toEqual([before.copies, appender.checkpointInterval - 1]);
    await commits(1); // the interval is up: the next one, not exclusive
    await turns();
    expect(checkpointer.copies).toBe(before.copies + 1);
    await commits(3);
    expect(inline.calls - before.inline).toBe(appender.checkpointInterval + 3);
  });

  it('a failed copy is not a commit\'s failure: commits go on and the next checkpoint comes after the interval', async () => {
    const s = setup();
    const { checkpointer, appender, commits } = s;
    checkpointer.copyFails = new Error('SQLITE_FULL');
    await commits(CHECKPOINT_EVERY);
    await turns();
    expect(s.heard).toEqual(['SQLITE_FULL']);
    expect(checkpointer.steps.at(-1)).toBe('unpin');
    checkpointer.copyFails = undefined;
    await commits(appender.checkpointInterval);
    await turns();
    expect(s.heard.at(-1)).toEqual([1000, true, false, true]);
  });

  it('a failed fsync of the database after a copy fails the log: the commits it held and every later one reject', async () => {
    const s = setup();
    const { checkpointer, appender, commits } = s;
    await toCatchUp(s, true, true);
    await commits(1); // the catch-up starts: exclusive
    const held = appender.append(records, summaries).catch((e: unknown) => e);
    const eio = new LogUnavailable('event log: fdatasync of dtx.db after a checkpoint failed: EIO');
    await checkpointer.finishSync(eio);
    expect(await held).toBe(eio);
    await expect(appender.failure).resolves.toBe(eio);
    await expect(appender.append(records, summaries)).rejects.toBe(eio);
    expect(() => appender.whenIdle(() => 'pruned')).toThrow(eio);
  });

  it('close waits for the checkpoint running, then closes the checkpointer', async () => {
    const { checkpointer, appender, commits } = setup();
    checkpointer.manualSync = true;
    await commits(CHECKPOINT_EVERY);
    await turns();
    let closed = false;
    const closing = appender.close().then(() => (closed = true));
    await turns();
    expect([closed, checkpointer.closed]).toEqual([false, false]);
    await checkpointer.finishSync();
    await closing;
    expect([checkpointer.closed, checkpointer.pinned]).toEqual([true, false]);
  });
});
