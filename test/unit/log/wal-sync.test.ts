import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogUnavailable } from '../../../src/errors.js';
import { MAX_SYNCS, WalSync, type Fdatasync } from '../../../src/log/sqlite/wal-sync.js';
import { tempDir } from '../../support/temp-dir.js';

/** An fdatasync that returns when the test says (`finish`), counting its calls. */
function scripted() {
  const calls: Array<(err: NodeJS.ErrnoException | null) => void> = [];
  const fdatasync: Fdatasync = (_fd, done) => void calls.push(done);
  const finish = async (err: NodeJS.ErrnoException | null = null, index = 0) => {
    calls.splice(index, 1)[0]!(err);
    await new Promise((r) => setImmediate(r)); // the waiters' continuations
  };
  return { calls, fdatasync, finish };
}

function track(p: Promise<unknown>): { state: string } {
  const t = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (e: unknown) => (t.state = `rejected: ${e instanceof LogUnavailable ? 'LogUnavailable' : String(e)}`),
  );
  return t;
}

const settle = () => new Promise((r) => setImmediate(r));

/** A real descriptor for the scripted fdatasync to be handed (close() closes it). */
const devNull = () => fs.openSync('/dev/null', 'r');

describe('WalSync', () => {
  it(`resolves a commit only once an fdatasync started after it returns; ${MAX_SYNCS} run at once, commits made meanwhile share the next`, async () => {
    expect(MAX_SYNCS).toBe(2);
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    const first = track(sync.durable());
    const second = track(sync.durable()); // made while the first fdatasync runs: a second starts
    const third = track(sync.durable());
    const fourth = track(sync.durable());
    expect(io.calls).toHaveLength(2);
    await settle();
    expect([first.state, second.state, third.state]).toEqual(['pending', 'pending', 'pending']);
    await io.finish();
    expect([first.state, second.state, third.state]).toEqual(['resolved', 'pending', 'pending']);
    expect(io.calls).toHaveLength(2); // the second, and the next one covering the third and fourth
    await io.finish();
    expect([second.state, third.state]).toEqual(['resolved', 'pending']);
    await io.finish();
    expect([third.state, fourth.state]).toEqual(['resolved', 'resolved']);
    expect(io.calls).toHaveLength(0);
    await sync.close();
  });

  it('an fdatasync that returns before an earlier one makes the earlier one\'s commits durable too', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    const first = track(sync.durable());
    const second = track(sync.durable());
    await io.finish(null, 1); // the later one
    expect([first.state, second.state]).toEqual(['resolved', 'resolved']);
    expect(sync.settled()).toBeUndefined();
    const closed = track(sync.close());
    await settle();
    expect(closed.state).toBe('pending'); // the earlier one still runs on the descriptor
    await io.finish();
    expect(closed.state).toBe('resolved');
  });

  it('settled(): nothing to wait for when every commit is durable; otherwise only the commits made so far', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    expect(sync.settled()).toBeUndefined();
    void sync.durable();
    const read = track(sync.settled()!);
    void sync.durable(); // committed after the read: the read does not wait for it
    await io.finish();
    expect(read.state).toBe('resolved');
    expect(sync.settled()).toBeDefined(); // the later commit is not durable yet
    await io.finish();
    expect(sync.settled()).toBeUndefined();
    await sync.close();
  });

  it('a failed fdatasync fails its commits and every later one, and the reads waiting and later', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    const commit = track(sync.durable());
    const read = track(sync.settled()!);
    await io.finish(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    expect(commit.state).toBe('rejected: LogUnavailable');
    expect(read.state).toBe('rejected: LogUnavailable'); // it may have seen the commit that failed
    expect(() => sync.check()).toThrow(/fdatasync of \/x\/dtx.db-wal failed: EIO/);
    const later = track(sync.durable());
    const laterRead = track(sync.settled()!);
    await settle();
    expect(later.state).toBe('rejected: LogUnavailable');
    expect(laterRead.state).toBe('rejected: LogUnavailable');
    expect(io.calls).toHaveLength(0);
    await expect(sync.failure).resolves.toMatchObject({ name: 'LogUnavailable', message: expect.stringMatching(/fdatasync of \/x\/dtx.db-wal failed: EIO/) });
    await sync.close();
  });

  it('reports no failure while every fdatasync succeeds, nor after close', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    const failure = track(sync.failure);
    const commit = sync.durable();
    await io.finish();
    await commit;
    await sync.close();
    await settle();
    expect(failure.state).toBe('pending');
  });

  it('a WAL that cannot be opened fails the commit the same way', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, () => {
      throw new Error('ENOENT: no such file');
    });
    const commit = track(sync.durable());
    await settle();
    expect(commit.state).toBe('rejected: LogUnavailable');
    expect(() => sync.check()).toThrow(/ENOENT/);
  });

  it('close waits for the fdatasync that runs', async () => {
    const io = scripted();
    const sync = new WalSync('/x/dtx.db-wal', io.fdatasync, devNull);
    const commit = track(sync.durable());
    const closed = track(sync.close());
    await settle();
    expect(closed.state).toBe('pending');
    await io.finish();
    expect([commit.state, closed.state]).toEqual(['resolved', 'resolved']);
  });

  it('syncs a real file through the thread pool', async () => {
    const file = path.join(tempDir('dtx-walsync-'), 'dtx.db-wal');
    fs.writeFileSync(file, 'frames');
    const sync = new WalSync(file);
    try {
      await Promise.all([sync.durable(), sync.durable()]);
      expect(sync.settled()).toBeUndefined();
      expect(() => sync.check()).not.toThrow();
    } finally {
      await sync.close();
    }
  });
});
