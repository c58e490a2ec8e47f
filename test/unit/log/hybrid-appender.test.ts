import { describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { CHECKPOINT_EVERY, eventLoopBusy, HybridAppender, INLINE_MAX_MS, type BackgroundWriter } from '../../../src/log/sqlite/hybrid-appender.js';

/** A scripted background writer: its idleness is set by the test, its calls are counted. */
class ScriptedWriter implements BackgroundWriter {
  idle = true;
  appends = 0;
  checkpoints = 0;
  checkpointFails = false;
  append(): Promise<void> {
    this.appends += 1;
    return Promise.resolve();
  }
  checkpoint(): Promise<void> {
    this.checkpoints += 1;
    return this.checkpointFails ? Promise.reject(new Error('checkpoint failed')) : Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const records: LogRecord[] = [{ v: 1, gid: 'g', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c' }];
const summaries: TransSummary[] = [];

/** An appender whose inline commits take `inlineMs` of a simulated clock each. */
function setup(inlineMs = 0.1) {
  const writer = new ScriptedWriter();
  let t = 0;
  const inline = { calls: 0, fail: undefined as Error | undefined, ms: inlineMs };
  const loop = { busy: false };
  const appender = new HybridAppender(
    writer,
    () => {
      inline.calls += 1;
      t += inline.ms;
      if (inline.fail) throw inline.fail;
    },
    () => loop.busy,
    () => t,
  );
  return { writer, inline, loop, appender };
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

  it('hands commits to the writer while the event loop is busy', async () => {
    const { writer, inline, loop, appender } = setup();
    loop.busy = true;
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([0, 1]);
    loop.busy = false;
    await appender.append(records, summaries);
    expect([inline.calls, writer.appends]).toEqual([1, 1]);
  });

  it('eventLoopBusy: false while the loop idles, true after a window spent blocking it', async () => {
    const busy = eventLoopBusy();
    await new Promise((r) => setTimeout(r, 120));
    busy(); // a window of idling
    await new Promise((r) => setTimeout(r, 120));
    expect(busy()).toBe(false);
    const until = performance.now() + 150;
    while (performance.now() < until); // a window of blocking
    expect(busy()).toBe(true);
  });

  it('rejects with the inline commit\'s error, and commits again after it', async () => {
    const { inline, appender } = setup();
    inline.fail = new Error('disk full');
    await expect(appender.append(records, summaries)).rejects.toThrow('disk full');
    inline.fail = undefined;
    await expect(appender.append(records, summaries)).resolves.toBeUndefined();
    expect(inline.calls).toBe(2);
  });

  it(`asks the writer for a checkpoint every ${CHECKPOINT_EVERY} inline commits; a failed one is not an append's failure`, async () => {
    const { writer, appender } = setup();
    writer.checkpointFails = true;
    for (let i = 0; i < CHECKPOINT_EVERY - 1; i += 1) await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(0);
    await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(1);
    writer.idle = false; // commits on the writer do not count
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    writer.idle = true;
    for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(records, summaries);
    expect(writer.checkpoints).toBe(2);
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
