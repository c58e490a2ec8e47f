/**
 * The rebuild section of the Kafka benchmark (bench/main.ts --store kafka), three rebuilds on
 * the prefix of the largest load run, each with every other worker stopped:
 *   1. a fresh worker (empty data dir) on the topic as the load run left it;
 *   2. a fresh worker after `open` open transactions were added (through worker 1) and the topic
 *      was grown to `events` events with copies of its transactions (kafka-topic-fill.ts);
 *   3. worker 2 restarted on its own data dir: the replica is complete, so its takeover is the
 *      fence plus the fold of the open transactions.
 * Primitives and what is timed: bench/kafka-rebuild-timing.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClusterOptions } from './kafka-cluster.js';
import { fillTopic } from './kafka-topic-fill.js';
import { countTopic, measureRebuild, type RebuildResult } from './kafka-rebuild-timing.js';

export interface RebuildOptions extends ClusterOptions {
  /** open transactions to add before rebuild 2 */
  readonly open: number;
  /** before rebuild 2, grow the topic to this many events with copies */
  readonly events: number;
  /** seeds `n` open transactions through `origin`; returns a note on what it did */
  readonly seed: (origin: string, n: number) => Promise<string>;
}

export async function runRebuild(o: RebuildOptions): Promise<{ text: string; ok: boolean }> {
  const topic = `${o.prefix}.events`;
  const rows: Array<{ label: string; r: RebuildResult; restart?: boolean }> = [];
  const notes: string[] = [];
  let count = await countTopic(o.brokers, topic);
  const first = await measureRebuild(o, count);
  rows.push({ label: 'fresh worker, topic as the load run left it', r: first.result });
  try {
    if (o.open > 0) notes.push(`${await o.seed(first.worker.dtx.origin, o.open)}`);
  } finally {
    await first.cluster.stopAll();
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dtx-bench-rebuild-'));
  try {
    count = await countTopic(o.brokers, topic);
    const fill = await fillTopic(o.brokers, topic, count.events, o.events);
    if (fill.addedEvents > 0) {
      notes.push(`the topic was grown to ≥ ${o.events} events with ${fill.addedGids} copies of its transactions (${fill.addedEvents} events in ${(fill.ms / 1000).toFixed(1)} s)`);
      count = await countTopic(o.brokers, topic);
    }
    const second = await measureRebuild(o, count, dir);
    await second.cluster.stopAll();
    rows.push({ label: `fresh worker, after adding ${o.open} open transactions${fill.addedEvents > 0 ? ' and copies' : ''}`, r: second.result });
    const third = await measureRebuild(o, count, dir);
    await third.cluster.stopAll();
    rows.push({ label: 'worker 2 restarted on its data dir (replica complete)', r: third.result, restart: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rate = (n: number, ms: number): string => (ms > 0 ? Math.round((n * 1000) / ms).toLocaleString('en-US') : 'n/a');
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  const out = [
    `### Rebuild: one worker takes over all ${o.partitions} partitions alone`,
    '',
    `- prefix ${o.prefix} (the largest load run), every other worker stopped; session timeout ${o.sessionTimeout} s`,
    ...notes.map((n) => `- before rebuild 2: ${n}`),
    '- raw read: the bench itself reads the topic with a kafkajs read_committed consumer (group join included), no dtx.',
    '- copy: until `/api/dtx/history` (a replica read, polled every 50 ms) shows the last event of every partition. owned: until the last "partition taken over" log line. ' +
      'Both from the spawn of the worker, in brackets from its "kafka event log opened" line (the replica consumer has started).',
    '- takeover: from the worker\'s first "partition assignment" line to its last "partition taken over" line; for a fresh worker it includes waiting for the copy. ' +
      'open transactions / events / folded: what those lines report (events the restored state stands for, of which folded through the machines; the rest came from snapshots). ' +
      'restore events/s = events ÷ takeover, on the restart only.',
    '',
    '| rebuild | events N (MiB) | transactions | raw read events/s | copy s | copy events/s | owned all s | takeover s | open txns / events / folded | restore events/s | slowest partition ms | `/all` lists |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let ok = true;
  for (const [i, { label, r, restart }] of rows.entries()) {
    const c = r.count;
    const open = r.copyFromOpenMs === undefined ? undefined : r.copyMs - r.copyFromOpenMs;
    const both = (f: (ms: number) => string, ms: number): string => `${f(ms)} (${open === undefined ? 'n/a' : f(ms - open)})`;
    const copy = restart === true ? 'had it | –' : `${both(s, r.copyMs)} | ${both((ms) => rate(c.events, ms), r.copyMs)}`;
    const fold = restart === true && r.folded.events > 0 ? rate(r.folded.events, r.takeoverMs) : '–';
    out.push(
      `| ${i + 1}. ${label} | ${c.events} (${(c.bytes / 2 ** 20).toFixed(1)}) | ${c.gids} | ${i === 2 ? '–' : rate(c.events, c.ms)} | ${copy} | ` +
        `${both(s, r.ownedMs)} | ${s(r.takeoverMs)} | ${r.folded.transactions} / ${r.folded.events} / ${r.folded.folded} | ${fold} | ${r.folded.maxMs} | ${r.listed} |`,
    );
    if (r.listed !== c.gids) ok = false;
  }
  if (!ok) out.push('', 'MISMATCH: `/api/dtmsvr/all` did not list every transaction of the topic after a rebuild.');
  return { text: out.join('\n') + '\n', ok };
}
