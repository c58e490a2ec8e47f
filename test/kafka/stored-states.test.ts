import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredState, TransSummary } from '../../src/log/event-log.js';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ERROR500, SUCCESS } from '../support/branch-server.js';
import { get, gidOf, post, query, saga, waitFor, type QueryResult } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';
import { TEST_KAFKA_BROKERS } from '../support/kafka-broker.js';
import { freshPrefix, readTopic, startWorker, stopWorkers, takeoversOf, waitOwnership } from '../support/kafka-workers.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Stored states in Kafka mode (engine-settings.ts STATE_EVERY_EVENTS): every 2,000 events of a
 * transaction its machine state rides in the summary header of the event that passes the multiple,
 * and every worker's replica keeps the newest. A finished transaction is not in memory, and a
 * command on it (a query, answered by the owner) loads it from that state and the events after it:
 * before, it read and folded all of them, and a client growing one transaction's events with
 * `resetNextCronTime` could make every later query of it fold millions.
 */
const prefix = freshPrefix('states');
const dataDir = tempDir('dtx-kafka-states-');
let bs: BranchServer;
let w: DtxProcess | undefined;

beforeAll(async () => {
  bs = await BranchServer.start();
});

afterEach(async () => {
  await stopWorkers(w);
  w = undefined;
});

afterAll(async () => {
  await bs?.close();
});

/** The stored states of `gid` the events topic of `topics` carries, in offset order. */
async function statesInTopic(gid: string, topics = prefix): Promise<StoredState[]> {
  const out: StoredState[] = [];
  for (const r of await readTopic(`${topics}.events`)) {
    const header = r.headers['dtx-summary'];
    if (r.key !== gid || header === undefined) continue;
    const state = (JSON.parse(header) as TransSummary).state;
    if (state !== undefined) out.push(state);
  }
  return out;
}

/** `dtx replay --all` on the Kafka log: it copies the events topic into a throwaway replica and audits that. */
async function replayAll(): Promise<string> {
  const r = await runDtx(['replay', '--all'], { STORE_DRIVER: 'kafka', STORE_KAFKA_BROKERS: TEST_KAFKA_BROKERS, STORE_KAFKA_PREFIX: prefix, STORE_PARTITIONS: '1' }, 300_000);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/**
 * Grows saga `gid` (its branch failing) until the events topic carries a stored state of it, and
 * returns the newest: each
 * reset makes the failing branch due at once (CronReset, then CronFired and BranchErrored).
 */
async function growUntilState(api: string, gid: string, topics = prefix): Promise<StoredState> {
  const states = await waitFor(
    async () => {
      for (let i = 0; i < 100; i += 1) {
        const replies = await Promise.all(Array.from({ length: 5 }, () => post(api, 'resetNextCronTime', { gid })));
        expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      }
      return statesInTopic(gid, topics);
    },
    (s) => s.length > 0,
    600_000,
    'a stored state in the events topic',
  );
  const newest = states.at(-1)!;
  expect(newest.seq).toBeGreaterThanOrEqual(2000); // the state after the batch that passed the multiple
  expect(newest.value).toBe('submitted');
  return newest;
}

const statusOf = async (api: string, gid: string): Promise<string | undefined> => (await query(api, gid)).transaction?.status;

describe('stored states in Kafka mode', () => {
  it('travel through the events topic into the replica, and a finished transaction is loaded from there', async () => {
    w = await startWorker({ prefix, partitions: 1, dataDir });
    await waitOwnership([w], 1);
    let failing = true;
    bs.on('/st/a1', () => (failing ? ERROR500 : SUCCESS));
    const gid = gidOf('states');
    expect((await post(w.api, 'submit', saga(gid, [{ action: bs.url('/st/a1'), compensate: bs.url('/st/c1') }]))).status).toBe(200);

    const api = w.api;
    const state = await growUntilState(api, gid);

    failing = false;
    await waitFor(
      async () => (await post(api, 'resetNextCronTime', { gid }), statusOf(api, gid)),
      (s) => s === 'succeed',
      60_000,
      `${gid} succeed`,
    );
    await stopWorkers(w);
    w = undefined;

    // the replica kept the state; its events up to it are dropped, so only a load from the state can rebuild the transaction
    const db = new Database(path.join(dataDir, 'kafka', prefix, 'replica.db'));
    try {
      const id = (db.prepare('SELECT id FROM gids WHERE gid = ?').get(gid) as { id: number }).id;
      const kept = db.prepare('SELECT seq, state FROM states WHERE id = ?').get(id) as { seq: number; state: string };
      expect(kept.seq).toBe(state.seq);
      expect(JSON.parse(kept.state)).toEqual(state);
      expect(db.prepare('DELETE FROM events WHERE tid = ? AND seq <= ?').run(id, state.seq).changes).toBe(state.seq);
    } finally {
      db.close();
    }

    w = await startWorker({ prefix, partitions: 1, dataDir });
    await waitOwnership([w], 1);
    const q = await get(w.api, `query?gid=${gid}`);
    expect(q.status).toBe(200);
    const view = q.body as unknown as QueryResult;
    expect(view.transaction?.status).toBe('succeed');
    expect(view.branches.map((b) => `${b.op}:${b.status}`)).toEqual(['compensate:prepared', 'action:succeed']);

    // the audit checks the states the topic carries against the fold of the events they cover
    const audit = await replayAll();
    expect(audit).toContain('verified 1, divergent 0, failed 0');
    expect(audit).toContain('stored states (restarts and loads start there): 1 checked, divergent 0'); // the newest, one per gid
  });

  it('a takeover starts an open transaction from the state in the replica when no snapshot is newer', async () => {
    // no snapshots at all (Store.SnapshotEvery 0): before, a takeover folded every event
    const topics = freshPrefix('states-open');
    const dir = tempDir('dtx-kafka-states-open-');
    const env = { STORE_SNAPSHOT_EVERY: '0' };
    w = await startWorker({ prefix: topics, partitions: 1, dataDir: dir, env });
    await waitOwnership([w], 1);
    bs.on('/so/a1', ERROR500);
    const gid = gidOf('states-open');
    expect((await post(w.api, 'submit', saga(gid, [{ action: bs.url('/so/a1'), compensate: bs.url('/so/c1') }]))).status).toBe(200);
    const state = await growUntilState(w.api, gid, topics);
    await w.kill('SIGKILL');
    w = await startWorker({ prefix: topics, partitions: 1, dataDir: dir, env });
    await waitOwnership([w], 1);
    const [takeover] = await takeoversOf(w, 1);
    expect(takeover!.transactions).toBe(1);
    expect(takeover!.events).toBeGreaterThan(state.seq);
    expect(takeover!.folded).toBe(takeover!.events - state.seq); // only the tail after the newest state
    expect(await statusOf(w.api, gid)).toBe('submitted');
  });
});
