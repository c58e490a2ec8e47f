import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TAKEOVER_FAILURE_LOG_MS, takeoverRetryDelayMs, TakeoverFailures } from '../../../src/cluster/takeover-failures.js';

/** TakeoverFailures on a clock the test moves, its lines captured as pino writes them. */
function failures() {
  const lines: Array<{ level: number; msg: string; partition: number; attempt: number; recurred?: number }> = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), done()) });
  const clock = { now: 0 };
  return { lines, clock, takeovers: new TakeoverFailures(pino({ level: 'info' }, sink), () => clock.now) };
}

const FULL = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
const AWAY = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19092'), { code: 'ECONNREFUSED' });

describe('TakeoverFailures', () => {
  it('warns the first three attempts of each partition one by one', () => {
    const { lines, takeovers } = failures();
    for (const p of [0, 1]) for (let attempt = 1; attempt <= 3; attempt++) takeovers.failed(FULL, p, attempt);
    expect(lines.map((l) => [l.level, l.partition, l.attempt])).toEqual([[40, 0, 1], [40, 0, 2], [40, 0, 3], [40, 1, 1], [40, 1, 2], [40, 1, 3]]);
    expect(new Set(lines.map((l) => l.msg))).toEqual(new Set(['partition takeover failed; retrying']));
  });

  it('lets one error line per window through across partitions, saying how many it held back', () => {
    const { lines, clock, takeovers } = failures();
    // 16 partitions failing their 4th to 20th attempt, every 1.25 s for 20 s: one cause, a line at 0, 10 and 20 s
    for (let attempt = 4; attempt <= 20; attempt++) {
      for (let p = 0; p < 16; p++) takeovers.failed(FULL, p, attempt);
      clock.now += TAKEOVER_FAILURE_LOG_MS / 8;
    }
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.map((l) => l.msg)).toEqual([
      'partition takeover failed; retrying',
      'partition takeover failed; retrying (127 more like it since the last line)',
      'partition takeover failed; retrying (127 more like it since the last line)',
    ]);
    expect(errors.map((l) => l.recurred)).toEqual([0, 127, 127]);
  });

  it('gates each kind of failure on its own: a broker away is not held back by a full disk', () => {
    const { lines, takeovers } = failures();
    takeovers.failed(FULL, 0, 4);
    takeovers.failed(AWAY, 1, 4);
    takeovers.failed(FULL, 2, 4);
    takeovers.failed(Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19094'), { code: 'ECONNREFUSED' }), 3, 4);
    expect(lines.map((l) => l.partition)).toEqual([0, 1]);
  });

  it('waits 250 ms more after each attempt, at most 5 s', () => {
    expect([1, 2, 4, 20, 100].map(takeoverRetryDelayMs)).toEqual([250, 500, 1000, 5000, 5000]);
  });
});
