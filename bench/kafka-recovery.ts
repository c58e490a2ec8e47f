/**
 * Recovery measurement of the Kafka benchmark (bench/main.ts --store kafka --workers >= 2):
 * under steady saga load (round-robin over every worker), the last worker is SIGKILLed. Its HTTP
 * port leaves the rotation at the kill; the submits it had in flight fail at the client. Measured
 * from the kill, with the survivors' log lines (log time, ms):
 *   rebalance  the first survivor's new "partition assignment" (bounded by the session timeout);
 *   owned      every partition owned again ("partition taken over" of the last one);
 *   finished   every saga whose submit was in flight at the kill reached a final status (query
 *              every 100 ms), or, for those sent to the killed worker, is known never to have
 *              reached the log (still unknown 5 s after "owned").
 * Sagas answered before the kill were finished already (wait_result).
 */
import { percentile, queryStatus, runLoad } from './load-generator.js';
import { KafkaWorkers, ownershipNote, type ClusterOptions } from './kafka-cluster.js';
import { code, groupProblems, ms, type Workload } from './report.js';

export interface RecoveryOptions extends ClusterOptions {
  readonly workers: number;
  readonly workload: Workload;
  readonly concurrency: number;
  readonly killAfterSeconds: number;
  readonly afterSeconds: number;
  readonly body: (gid: string) => string;
}

const FINAL = new Set(['succeed', 'failed']);

export async function runRecovery(o: RecoveryOptions): Promise<{ text: string; ok: boolean }> {
  const cluster = new KafkaWorkers(o);
  try {
    await Promise.all(Array.from({ length: o.workers }, () => cluster.add()));
    await cluster.waitCovered(120_000);
    const before = await ownershipNote(cluster);
    const origins = cluster.origins();
    const inflight = new Map<string, string>();
    const load = runLoad({
      origins, concurrency: o.concurrency, warmupMs: 0, measureMs: (o.killAfterSeconds + o.afterSeconds) * 1000, maxRequests: 10_000_000,
      body: o.body, gidPrefix: `recovery-${Date.now().toString(36)}`, sampleRate: 0.01, pollCompletion: false,
      requestTimeoutMs: 60_000, drainMs: 60_000, alive: () => cluster.live().length > 0, inflight,
    });
    await new Promise((r) => setTimeout(r, o.killAfterSeconds * 1000));
    const victim = cluster.workers.at(-1)!;
    const victimOwned = [...victim.ready].sort((a, b) => a - b);
    origins.splice(origins.indexOf(victim.dtx.origin), 1);
    const pending = [...inflight];
    const killedAt = cluster.kill(victim);
    const survivors = cluster.live();
    const finished = new Map<string, { status: string; at: number }>();
    const seen: { ownedAt?: number } = {};
    const settle = Promise.all(
      pending.map(async ([gid]) => {
        for (;;) {
          const status = await queryStatus(survivors[0]!.dtx.origin, gid);
          if (FINAL.has(status) || (status === 'not found' && seen.ownedAt !== undefined && Date.now() > seen.ownedAt + 5000) || Date.now() > killedAt + 120_000) {
            finished.set(gid, { status, at: Date.now() });
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }),
    );
    const ownedAt = await cluster.waitCovered(120_000, 0).catch(() => undefined);
    seen.ownedAt = ownedAt;
    await settle;
    const result = await load;
    const rebalancedAt = Math.min(...survivors.map((w) => w.assignments.find((t) => t >= killedAt) ?? Infinity));
    const takeovers = survivors.flatMap((w) => w.takeovers.filter((t) => t.time >= killedAt));
    const openLeft = await countOpen(survivors[0]!.dtx.origin);
    const after = await ownershipNote(cluster);

    const byOutcome = new Map<string, number>();
    let lastFinal = killedAt;
    for (const [gid, origin] of pending) {
      const f = finished.get(gid)!;
      const via = origin === victim.dtx.origin ? 'sent to the killed worker' : 'sent to a survivor';
      const key = `${f.status}, ${via}`;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
      if (FINAL.has(f.status)) lastFinal = Math.max(lastFinal, f.at);
    }
    const lost = pending.filter(([gid, origin]) => !FINAL.has(finished.get(gid)!.status) && origin !== victim.dtx.origin).length;
    const secs = (t: number | undefined): string => (t === undefined || !Number.isFinite(t) ? 'never' : `${((t - killedAt) / 1000).toFixed(2)} s`);
    const killSecond = o.killAfterSeconds;
    const out = [
      `### Recovery after SIGKILL of one of ${o.workers} workers (session timeout ${o.sessionTimeout} s)`,
      '',
      `- prefix ${o.prefix}; ${o.workload} sagas (wait_result), concurrency ${o.concurrency}, round-robin over all workers; worker ${victim.index} SIGKILLed after ${o.killAfterSeconds} s of load, load kept on the survivors for ${o.afterSeconds} s`,
      `- before the kill: ${before}; the killed worker owned [${victimOwned.join(',')}]`,
      `- after: ${after}; transactions still open (\`/all\` status prepared/submitted/aborting) at the end: ${openLeft}`,
      '',
      '| from the kill until | time |',
      '|---|---:|',
      `| first survivor rebalance ("partition assignment") | ${secs(rebalancedAt)} |`,
      `| every partition owned again (last "partition taken over") | ${secs(ownedAt)} |`,
      `| every saga in flight at the kill final (${pending.length} sagas) | ${secs(lastFinal)} |`,
      '',
      `- sagas in flight at the kill, by outcome: ${[...byOutcome].map(([k, n]) => `${n} ${k}`).join('; ') || 'none'}`,
      `- takeovers after the kill: ${takeovers.length} partitions, ${takeovers.reduce((a, t) => a + t.transactions, 0)} open transactions / ${takeovers.reduce((a, t) => a + t.events, 0)} events restored (${takeovers.reduce((a, t) => a + t.folded, 0)} folded, the rest from snapshots), ` +
        `takeover ms ${takeovers.map((t) => t.ms).join(', ') || 'none'}`,
      `- successful submits per second (kill during second ${killSecond + 1}): ${result.perSecond.join(' ')}`,
      `- submits: ${result.sent} sent, ${result.errors} failed, submit p99 over the run ${ms(percentile(result.submitMs, 99))} ms`,
    ];
    for (const [kind, n] of result.errorKinds) out.push(`  - error ×${n}: ${code(kind)}`);
    const problems = groupProblems(survivors.flatMap((w) => w.dtx.problems));
    for (const [what, n] of problems.slice(0, 10)) out.push(`  - survivor stderr ×${n}: ${code(what)}`);
    const ok = ownedAt !== undefined && lost === 0 && openLeft === 0;
    if (lost > 0) out.push(`- LOST: ${lost} sagas sent to a survivor before the kill never reached a final status`);
    return { text: out.join('\n') + '\n', ok };
  } finally {
    await cluster.stopAll();
  }
}

/** Transactions in a non-final status, from one worker's listing (its replica holds every partition). */
async function countOpen(origin: string): Promise<number> {
  let n = 0;
  for (const status of ['prepared', 'submitted', 'aborting']) {
    const res = await fetch(`${origin}/api/dtmsvr/all?status=${status}&limit=10000`, { signal: AbortSignal.timeout(30_000) });
    n += ((await res.json()) as { transactions?: unknown[] }).transactions?.length ?? 0;
  }
  return n;
}
