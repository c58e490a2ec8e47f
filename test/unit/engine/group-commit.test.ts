import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../../src/engine/group-commit.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';

/**
 * The group committer (group-commit.ts): appends of one event-loop turn make one commit, one commit
 * runs at a time and the appends made meanwhile gather into the next; each caller learns the fate
 * of its own commit.
 */

interface ScriptedCommit {
  readonly gids: string[];
  settle(err?: Error): void;
}

/** A log whose commits settle when the test says so. */
function scriptedLog(): { log: { append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> }; commits: ScriptedCommit[] } {
  const commits: ScriptedCommit[] = [];
  const log = {
    append: (records: readonly LogRecord[]) =>
      new Promise<void>((resolve, reject) => commits.push({ gids: records.map((r) => r.gid), settle: (err) => (err ? reject(err) : resolve()) })),
  };
  return { log, commits };
}

const record = (gid: string): LogRecord => ({ v: 1, gid, seq: 1, type: 'TransCreated', at: 0, data: {}, cmd: `${gid}-1` });
const append = (g: GroupCommitter, gid: string): Promise<void> => g.append([record(gid)], []);
/** Lets the committer's setImmediate run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('merges the appends of one turn into one commit', async () => {
    const { log, commits } = scriptedLog();
    const committed: number[] = [];
    const g = new GroupCommitter(log, (records) => committed.push(records));
    const done = ['a', 'b', 'c'].map((gid) => append(g, gid));
    await turn();
    expect(commits.map((c) => c.gids)).toEqual([['a', 'b', 'c']]);
    commits[0]!.settle();
    await Promise.all(done);
    expect(committed).toEqual([3]);
  });

  it('runs one commit at a time: appends made while it waits gather into the next', async () => {
    const { log, commits } = scriptedLog();
    const g = new GroupCommitter(log);
    const a = append(g, 'a');
    await turn();
    const later = ['b', 'c'].map((gid) => append(g, gid));
    await turn();
    await turn();
    expect(commits).toHaveLength(1); // b and c wait for a's commit
    let bSettled = false;
    void later[0]!.then(() => (bSettled = true));
    commits[0]!.settle();
    await a;
    await turn();
    expect(commits.map((c) => c.gids)).toEqual([['a'], ['b', 'c']]);
    expect(bSettled).toBe(false); // its own commit has not settled yet
    commits[1]!.settle();
    await Promise.all(later);
  });

  it('a failed commit fails its own callers only, and the next commit goes on', async () => {
    const { log, commits } = scriptedLog();
    const g = new GroupCommitter(log);
    const a = append(g, 'a');
    await turn();
    const b = append(g, 'b');
    commits[0]!.settle(new Error('disk full'));
    await expect(a).rejects.toThrow('disk full');
    await turn();
    expect(commits.map((c) => c.gids)).toEqual([['a'], ['b']]);
    commits[1]!.settle();
    await expect(b).resolves.toBeUndefined();
  });

  it('an empty append needs no commit', async () => {
    const { log, commits } = scriptedLog();
    await new GroupCommitter(log).append([], []);
    await turn();
    expect(commits).toHaveLength(0);
  });
});
