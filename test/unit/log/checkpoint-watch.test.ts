import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CheckpointWatch, WAL_WARNING_MS } from '../../../src/log/sqlite/checkpoint-watch.js';
import { CHECKPOINT_EVERY, InlineAppender } from '../../../src/log/sqlite/inline-appender.js';
import type { CheckpointResult } from '../../../src/log/sqlite/wal-checkpointer.js';
import { ScriptedCheckpointer, turns } from '../../support/scripted-checkpointer.js';

type Line = { level: number; msg: string; recurred?: number; walBytes: number; frames?: number };

function watched() {
  const lines: Line[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Line), done()) });
  const clock = { t: 0 };
  const watch = new CheckpointWatch(pino({ level: 'info' }, sink), () => 4096 * 5000, () => clock.t);
  return { lines, clock, watch, said: () => lines.map((l) => l.msg.split(':')[0]) };
}

describe('CheckpointWatch', () => {
  it('warns when an exclusive checkpoint was held back by a reader, once per interval, and says when the WAL starts over', () => {
    const { lines, clock, watch, said } = watched();
    watch.done({ frames: 5000, complete: false }, false, false); // passive: commits made meanwhile, nothing to say
    expect(lines).toEqual([]);
    watch.done({ frames: 5000, complete: false }, true, false);
    watch.done({ frames: 6000, complete: false }, true, false);
    expect(said()).toEqual(['the WAL cannot start over']);
    expect(lines[0]).toMatchObject({ level: 40, frames: 5000, walBytes: 4096 * 5000, recurred: 0 });
    clock.t = WAL_WARNING_MS;
    watch.done({ frames: 7000, complete: false }, true, false);
    expect(lines[1]).toMatchObject({ level: 40, frames: 7000, recurred: 1 });
    watch.done({ frames: 7000, complete: true }, false, false); // all copied, but commits made meanwhile: the WAL goes on
    expect(lines).toHaveLength(2);
    watch.done({ frames: 300, complete: true }, false, true);
    watch.done({ frames: 10, complete: true }, false, true);
    expect(said()).toEqual(['the WAL cannot start over', 'the WAL cannot start over', 'WAL checkpoints complete again']);
    expect(lines[2]!.level).toBe(30);
    watch.done({ frames: 5000, complete: false }, true, false); // a new trouble: said at once, not held back by the old one's interval
    expect(lines.at(-1)).toMatchObject({ level: 40, recurred: 0 });
  });

  it('warns when checkpoints fail (a full disk), once per interval of the same error', () => {
    const { lines, clock, watch, said } = watched();
    const full = Object.assign(new Error('event log: checkpoint failed: SQLITE_FULL: database or disk is full'), { code: 'DTX_LOG_UNAVAILABLE' });
    watch.failed(full);
    watch.failed(full);
    watch.failed(new Error('SQLITE_IOERR')); // another error: a line of its own
    clock.t = WAL_WARNING_MS;
    watch.failed(full);
    expect(said()).toEqual(['WAL checkpoint failed', 'WAL checkpoint failed', 'WAL checkpoint failed']);
    expect(lines.map((l) => l.recurred)).toEqual([0, 0, 1]);
    watch.done({ frames: 9000, complete: true }, false, true);
    expect(said().at(-1)).toBe('WAL checkpoints complete again');
  });

  it('hears every checkpoint the InlineAppender runs, and every failed one', async () => {
    const heard: Array<[CheckpointResult | string, boolean?, boolean?]> = [];
    const checkpointer = new ScriptedCheckpointer();
    const appender = new InlineAppender(() => undefined, undefined, checkpointer, { done: (r, exclusive, startsOver) => heard.push([r, exclusive, startsOver]), failed: (e) => heard.push([(e as Error).message]) });
    const commits = async (n: number) => {
      for (let i = 0; i < n; i++) await appender.append([], []);
    };
    checkpointer.result = { frames: 900, complete: true };
    await commits(CHECKPOINT_EVERY);
    await turns();
    checkpointer.copyFails = new Error('SQLITE_FULL');
    await commits(appender.checkpointInterval);
    await turns();
    expect(heard).toEqual([[{ frames: 900, complete: true }, false, true], ['SQLITE_FULL']]);
  });

  it('an observer that throws changes nothing: no unhandled rejection, the next checkpoint runs as before', async () => {
    const checkpointer = new ScriptedCheckpointer();
    const boom = () => {
      throw new Error('a broken logger');
    };
    const appender = new InlineAppender(() => undefined, undefined, checkpointer, { done: boom, failed: boom });
    for (let i = 0; i < CHECKPOINT_EVERY; i++) await appender.append([], []);
    await turns(); // an unhandled rejection would be reported by now
    for (let i = 0; i < appender.checkpointInterval; i++) await appender.append([], []);
    await turns();
    expect(checkpointer.copies).toBe(2);
    expect(checkpointer.pinned).toBe(false);
  });
});
