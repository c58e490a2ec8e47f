import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayRecords } from '../../src/audit/timeline.js';
import { renderView } from '../../src/engine/trans-view.js';
import { GOLDEN_DIR as DIR, GOLDEN_V1 as V1, goldenFiles, goldenRegistry as registry, goldenTopicFiles, readGoldenLog } from '../support/golden-logs.js';
import { foldTopic } from '../../src/engine/topic-state.js';
import { topicOfKey } from '../../src/log/kv-records.js';
import { MemoryEventLog } from '../../src/log/memory/memory-event-log.js';

/** Golden logs (STYLE L13): recorded real runs must replay to their recorded final states forever. */
const files = goldenFiles();

describe('golden event logs v1', () => {
  it('has recorded scenarios for every built-in type', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => f.startsWith('saga-'))).toBe(true);
    expect(files.some((f) => f.startsWith('msg-'))).toBe(true);
    expect(files.some((f) => f.startsWith('quorum-'))).toBe(true);
    expect(files.filter((f) => f.startsWith('workflow-')).sort()).toEqual(['workflow-failed.jsonl', 'workflow-resumed.jsonl', 'workflow-succeed.jsonl']);
    expect(files).toContain('saga-parked.jsonl');
    expect(files).toContain('msg-topic-fanout.jsonl');
    expect(goldenTopicFiles()).toContain('topic-changes.jsonl');
  });

  it.each(goldenTopicFiles())('%s folds to its recorded topic and KV row', async (file) => {
    const records = readGoldenLog(file);
    const final = JSON.parse(readFileSync(path.join(V1, file.replace(/\.jsonl$/, '.final.json')), 'utf8')) as { state: unknown; kv: unknown[] };
    const topic = topicOfKey(records[0]!.gid)!;
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(JSON.parse(JSON.stringify(foldTopic(topic, records)))).toEqual(final.state);
    const log = new MemoryEventLog();
    await log.append(records, []);
    expect((await log.queryKV('topics', topic)).map(({ id: _id, ...row }) => row)).toEqual(final.kv);
  });

  it.each(files)('%s replays to its recorded final state', (file) => {
    const records = readGoldenLog(file);
    const final = JSON.parse(readFileSync(path.join(V1, file.replace(/\.jsonl$/, '.final.json')), 'utf8')) as { status: string; view: unknown };
    const replayed = replayRecords(registry(), records[0]!.gid, records);
    expect(replayed).toBeDefined();
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(replayed!.live.status).toBe(final.status);
    expect(JSON.parse(renderView(replayed!.live.context, replayed!.live.status, replayed!.live.parked))).toEqual(final.view);
  });

  it('released files never change (SHA256SUMS)', () => {
    const pinned = readFileSync(path.join(DIR, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/) as [string, string]);
    expect(pinned.length).toBeGreaterThanOrEqual((files.length + goldenTopicFiles().length) * 2);
    for (const [hash, rel] of pinned) {
      const actual = createHash('sha256').update(readFileSync(path.join(DIR, rel))).digest('hex');
      expect(actual, `${rel} changed: golden logs of a released version are immutable`).toBe(hash);
    }
  });
});
