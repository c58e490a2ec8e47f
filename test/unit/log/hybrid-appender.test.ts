import { describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { CHECKPOINT_CATCH_UP_FRAMES, CHECKPOINT_EVERY, CHECKPOINT_EVERY_MAX, CHECKPOINT_EVERY_MIN, CHECKPOINT_FRAMES, HybridAppender, INLINE_MAX_MS, type BackgroundWriter, type CheckpointResult, type InlineSync } from '../../../src/log/sqlite/hybrid-appender.js';

/**
 * A scripted background writer: its idleness is set by the test, its calls are counted; a
 * checkpoint stays pending until the test settles it (`finishCheckpoint`) with the WAL's frames.
 */
class ScriptedWriter implements BackgroundWriter {
  idle = true;
  appends = 0;
  checkpoints = 0;
  checkpointFails = false;
  #settle: ((r: CheckpointResult) => void) | undefined;
  get checkpointing(): boolean {
    return this.#settle !== undefined;
  }
  append(): Promise<void> {
    this.appends += 1;
    return Promise.resolve();
  }
  checkpoint(): Promise<CheckpointResult> {
    this.checkpoints += 1;
    if (this.checkpointFails) return Promise.reject(new Error('checkpoint failed'));
    return new Promise((resolve) => (this.#settle = resolve));
  }
  async finishCheckpoint(frames: number, complete = true): Promise<void> {
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.({ frames, complete });
    await Promise.resolve(); // the appender's continuation
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const records: LogRecord[] = [{ v: 1, gid: 'g', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c' }];
const summaries: TransSummary[] = [];

/** A scripted fsync of inline commits: `durable()` settles when the test says (`settle`). */
class ScriptedSync implements InlineSync {
  broken: Error | undefined;
  asked = 0;
  #pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  manual = false;
  check(): void {
    if (this.broken) throw this.broken;
  }
  durable(): Promise<void> {
    this.asked += 1;
    if (!this.manual) return Promise.resolve();
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }
  settle(err?: Error): void {
    for (const p of this.#pending.splice(0)) if (err) p.reject(err); else p.resolve();
  }
}

/** An appender whose inline commits take `inlineMs` of a simulated clock each. */
function setup(inlineMs = 0.1) {
  const writer = new ScriptedWriter();
  const sync = new ScriptedSync();
  let t = 0;
  const inline = { calls: 0, fail: undefined as Error | undefined, ms: inlineMs };
  const appender = new HybridAppender(
    writer,
    () => {
      inline.calls += 1;
      t += inline.ms;
      if (inline.fail) throw inline.fail;
    },
    sync,
    () => t,
  );
  return { writer, inline, sync, appender };
}

describe('HybridAppender', () => {
  it('commits inline while the writer is idle, on the writer while it is busy', async () => {
    const { writer, inline, appender } = setup();
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([1, 0]);
    writer.idle = false;
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([1, 1]);
    writer.idle = true;
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([2, 1]);
  });

  it('resolves an inline commit once its fsync is done, and rejects it when that fails', async () => {
    const { writer, inline, sync, appender } = setup();
    sync.manual = true;
    let done = false;
    const first = appender.append(records, summaries).then(() => (done = true));
    await Promise.resolve();
    expect([inline.calls, sync.asked, done]).toEqual([1, 1, false]);
    sync.settle();
    await first;
    expect(done).toBe(true);
    const second = appender.append(records, summaries);
    sync.settle(new Error('EIO'));
    await expect(second).rejects.toThrow('EIO');
    expect(writer.appends).toBe(0);
  });

  it('refuses every commit, inline or on the writer, once commits cannot be made durable', async () => {
    const { writer, inline, sync, appender } = setup();
    sync.broken = new Error('fdatasync failed');
    await expect(appender.append(records, summaries)).rejects.toThrow('fdatasync failed');
    writer.idle = false;
    await expect(appender.append(records, summaries)).rejects.toThrow('fdatasync failed');
    expect([inline.calls, writer.appends]).toEqual([0, 0]);
  });

  it('rejects with the inline commit\'s error, and commits again after it', async () => {
    const { inline, appender } = setup();
    inline.fail = new Error('disk full');
    await expect(appender.append(records, summaries)).rejects.toThrow('disk full');
    inline.fail = undefined;
    await expect(appender.append(records, summaries)).resolves.toBeUndefined();
    expect(inline.calls).toBe(2);
  });

  it(`asks the writer for a checkpoint every ${CHECKPOINT_EVERY} commits of either thread; a failed one is not an append's failure`, async () => {
    const { writer, appender } = setup();
    writer.checkpointFails = true;
    for (let i = 0; i < CHECKPOINT_EVERY - 1; i += 1) await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(0);
    await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(1);
    writer.idle = false; // commits on the writer count too: its connection does not checkpoint by itself
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(2);
  });

  it('commits inline while a checkpoint runs on the writer; not while a commit is pending', async () => {
    const { writer, inline, appender } = setup();
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    expect(writer.checkpointing).toBe(true);
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([CHECKPOINT_EVERY + 1, 0]); // not queued behind the checkpoint
    writer.idle = false; // a commit of the writer's is pending: its connection may hold the write lock
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([CHECKPOINT_EVERY + 1, 1]);
    writer.idle = true;
    await writer.finishCheckpoint(CHECKPOINT_FRAMES);
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([CHECKPOINT_EVERY + 2, 1]); // the writer idle again: inline
  });

  it('sizes the interval so a checkpoint finds about CHECKPOINT_FRAMES frames, within its bounds, one checkpoint at a time', async () => {
    const { writer, appender } = setup();
    const round = async (frames: number) => {
      const before = writer.checkpoints;
      while (writer.checkpoints === before) await appender.append(records, summaries);
      await writer.finishCheckpoint(frames); // nothing committed while it ran: the WAL starts over
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
    // while one is pending, no second is asked for: the commits count on
    const before = writer.checkpoints;
    for (let i = 0; i < CHECKPOINT_EVERY_MIN * 3; i += 1) await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(before + 1);
    await writer.finishCheckpoint(CHECKPOINT_FRAMES);
    await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(before + 2); // overdue: asked at the next commit
  });

  it('makes at most one interval of commits inline while a checkpoint is pending; the rest wait for it on the writer', async () => {
    const { writer, inline, appender } = setup();
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    expect(writer.checkpointing).toBe(true);
    for (let i = 0; i < CHECKPOINT_EVERY + 5; i += 1) await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([2 * CHECKPOINT_EVERY, 5]);
    await writer.finishCheckpoint(CHECKPOINT_FRAMES);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY);
    // commits were made while that one ran, so the WAL did not start over: what the next one finds
    // includes older frames and does not size the interval
    await appender.append(records, summaries); // overdue: asked at once
    expect(writer.checkpoints).toBe(2);
    await writer.finishCheckpoint(CHECKPOINT_FRAMES * 1.5);
    expect(appender.checkpointInterval).toBe(CHECKPOINT_EVERY);
  });

  it(`after a checkpoint that found over ${CHECKPOINT_CATCH_UP_FRAMES} frames with commits made meanwhile, asks for an exclusive one at once: commits wait for it on the writer`, async () => {
    const { writer, inline, appender } = setup();
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    await writer.finishCheckpoint(CHECKPOINT_FRAMES); // nothing committed meanwhile: the WAL starts over
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    await appender.append(records, summaries); // made while the second one runs
    await writer.finishCheckpoint(CHECKPOINT_CATCH_UP_FRAMES + 1);
    expect(writer.checkpoints).toBe(2);
    expect(inline.calls).toBe(2 * CHECKPOINT_EVERY + 1);
    await appender.append(records, summaries); // inline, then the catch-up is asked for
    expect(writer.checkpoints).toBe(3);
    await appender.append(records, summaries);
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([2 * CHECKPOINT_EVERY + 2, 2]); // the writer idle, yet on the writer
    await writer.finishCheckpoint(10);
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([2 * CHECKPOINT_EVERY + 3, 2]);
    expect(writer.checkpoints).toBe(3); // the exclusive one completed: no second catch-up
  });

  it('an exclusive checkpoint a reader held back (an online backup\'s snapshot) is not asked again at once: commits go inline until the next interval', async () => {
    const { writer, inline, appender } = setup();
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    await appender.append(records, summaries); // made while it runs
    await writer.finishCheckpoint(CHECKPOINT_CATCH_UP_FRAMES + 1, false);
    await appender.append(records, summaries); // the catch-up is asked for: exclusive
    expect(writer.checkpoints).toBe(2);
    await writer.finishCheckpoint(CHECKPOINT_CATCH_UP_FRAMES + 2, false); // a reader's snapshot: it could not complete
    const every = appender.checkpointInterval;
    const before = { inline: inline.calls, appends: writer.appends };
    for (let i = 0; i < every - 1; i += 1) await appender.append(records, summaries);
    expect([inline.calls - before.inline, writer.appends - before.appends, writer.checkpoints]).toEqual([every - 1, 0, 2]);
    await appender.append(records, summaries); // the interval is up: the next checkpoint
    expect(writer.checkpoints).toBe(3);
    await appender.append(records, summaries); // not exclusive: commits stay inline while it runs
    expect([inline.calls - before.inline, writer.appends - before.appends]).toEqual([every + 1, 0]);
  });

  it(`hands commits to the writer while inline ones average over ${INLINE_MAX_MS} ms, and tries inline again later`, async () => {
    const { writer, inline, appender } = setup(5);
    for (let i = 0; i < 10; i += 1) await appender.append(records, summaries);
    // one 5 ms commit lifts the average to 1 ms (weight 0.2), the second above it
    expect(inline.calls).toBe(2);
    expect(writer.appends).toBe(8);
    inline.ms = 0.1; // the disk got fast again
    for (let i = 0; i < 300; i += 1) await appender.append(records, summaries);
    expect(inline.calls).toBeGreaterThan(200);
    expect(writer.appends).toBeLessThan(120);
  });
});
