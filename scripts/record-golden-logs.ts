/**
 * Records the golden event logs of test/fixtures/event-logs/v1 from real runs: starts the real
 * dtx process and a loopback branch service, drives one scenario per file, then exports each
 * transaction's events and final state through GET /api/dtx/history.
 *
 *   npm run build && node dist/scripts/record-golden-logs.js [outDir]
 *
 * Files of a released version never change (test/fixtures/event-logs/README.md): run this only to
 * add scenarios, writing new files.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startDtx } from './dtx-server-process.js';
import { SqliteEventLog } from '../src/log/sqlite/sqlite-event-log.js';
import { topicKey } from '../src/log/kv-records.js';
import { encodeRecord } from '../src/log/codec.js';
import { foldTopic } from '../src/engine/topic-state.js';
import { WORKFLOW_SCENARIOS, type CallbackContext, type CallbackHook } from './golden-workflow-scenarios.js';

type Answer = [status: number, body: string];
const OK: Answer = [200, '{"dtm_result":"SUCCESS"}'];
const FAIL: Answer = [409, '{"dtm_result":"FAILURE","message":"Insufficient balance"}'];
const ONGOING: Answer = [425, '{"dtm_result":"ONGOING"}'];
const ERR: Answer = [500, 'database is down'];

/** path -> answers in call order (the last one repeats) */
const scripts = new Map<string, Answer[]>();
/** path -> code that answers (a workflow's resume callback calls dtx back) */
const hooks = new Map<string, CallbackHook>();
const counts = new Map<string, number>();
const branch = createServer((req, res) => {
  const p = new URL(req.url ?? '/', 'http://x').pathname;
  req.resume();
  req.on('end', () => {
    const n = counts.get(p) ?? 0;
    counts.set(p, n + 1);
    const hook = hooks.get(p);
    if (hook !== undefined) {
      void hook(n + 1).then(
        ([status, body]) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    const list = scripts.get(p) ?? [OK];
    const [status, body] = list[Math.min(n, list.length - 1)]!;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
});

interface Scenario {
  readonly name: string;
  /** topic subscriptions made first: [topic, branch path] (docs/topics.md) */
  readonly subscribe?: ReadonlyArray<readonly [string, string]>;
  readonly answers: Record<string, Answer[]>;
  readonly calls: Array<{ route: string; body: (url: (p: string) => string) => Record<string, unknown> }>;
  /** final status to wait for */
  readonly until: string;
  /** paths answered by code (golden-workflow-scenarios.ts) */
  readonly callbacks?: (ctx: CallbackContext) => Record<string, CallbackHook>;
}

const steps = (url: (p: string) => string, p: string, n = 2) =>
  Array.from({ length: n }, (_, i) => ({ action: url(`/${p}/a${i + 1}`), compensate: url(`/${p}/c${i + 1}`) }));
const payloads = (n: number) => Array.from({ length: n }, () => '{"amount":30}');

const SCENARIOS: Scenario[] = [
  { name: 'saga-normal', answers: {}, until: 'succeed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sn'), payloads: payloads(2) }) }] },
  { name: 'saga-rollback', answers: { '/sr/a2': [FAIL] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sr'), payloads: payloads(2) }) }] },
  { name: 'saga-ongoing-retry', answers: { '/so/a1': [ONGOING, OK] }, until: 'succeed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'so'), payloads: payloads(2), retry_interval: 1 }) }] },
  { name: 'saga-error-backoff', answers: { '/se/a1': [ERR, ERR, OK] }, until: 'succeed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'se', 1), payloads: payloads(1), retry_interval: 1 }) }] },
  { name: 'saga-compensation-retry', answers: { '/sc/a2': [FAIL], '/sc/c2': [ERR, OK] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sc'), payloads: payloads(2), retry_interval: 1 }) }] },
  { name: 'saga-timeout', answers: { '/st/a1': [ONGOING] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'st'), payloads: payloads(2), timeout_to_fail: 1, retry_interval: 5 }) }] },
  { name: 'saga-concurrent-orders', answers: { '/sk/a1': [FAIL] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sk', 3), payloads: payloads(3), custom_data: '{"concurrent":true,"orders":{"1":[0]}}' }) }] },
  { name: 'saga-retry-limit', answers: { '/sl/a2': [ERR] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sl'), payloads: payloads(2), retry_limit: 1, wait_result: true }) }] },
  { name: 'msg-normal', answers: {}, until: 'succeed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/mn/a1') }, { action: u('/mn/a2') }], payloads: payloads(2), query_prepared: u('/mn/qp') }) }] },
  { name: 'msg-query-back-success', answers: { '/mq/qp': [ONGOING, OK] }, until: 'succeed', calls: [{ route: 'prepare', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/mq/a1') }], payloads: payloads(1), query_prepared: u('/mq/qp'), timeout_to_fail: 1, retry_interval: 1 }) }] },
  { name: 'msg-query-back-failure', answers: { '/mf/qp': [FAIL] }, until: 'failed', calls: [{ route: 'prepare', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/mf/a1') }], payloads: payloads(1), query_prepared: u('/mf/qp'), timeout_to_fail: 1 }) }] },
  { name: 'msg-prepare-submit-delay', answers: { '/md/a1': [ERR, OK] }, until: 'succeed', calls: [
    { route: 'prepare', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/md/a1') }], payloads: payloads(1), query_prepared: u('/md/qp'), retry_interval: 1 }) },
    { route: 'submit', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/md/a1') }], payloads: payloads(1), query_prepared: u('/md/qp'), custom_data: '{"delay":1}', retry_interval: 1 }) },
  ] },
  { name: 'msg-abort', answers: {}, until: 'failed', calls: [
    { route: 'prepare', body: (u) => ({ trans_type: 'msg', steps: [{ action: u('/ma/a1') }], payloads: payloads(1), query_prepared: u('/ma/qp') }) },
    { route: 'abort', body: () => ({ trans_type: 'msg' }) },
  ] },
  { name: 'quorum-two-of-three', answers: { '/q2/a3': [FAIL] }, until: 'succeed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'quorum', steps: steps(u, 'q2', 3), payloads: payloads(3), custom_data: '{"quorum":2}' }) }] },
  { name: 'quorum-unreachable', answers: { '/qu/a2': [FAIL], '/qu/a3': [FAIL] }, until: 'failed', calls: [{ route: 'submit', body: (u) => ({ trans_type: 'quorum', steps: steps(u, 'qu', 3), payloads: payloads(3), custom_data: '{"quorum":2}' }) }] },
  { name: 'msg-topic-fanout', subscribe: [['golden-fan', '/tf/a'], ['golden-fan', '/tf/b'], ['golden-one', '/tf/c']], answers: { '/tf/b': [ERR, OK] }, until: 'succeed', calls: [
    { route: 'submit', body: (u) => ({ trans_type: 'msg', steps: [{ action: 'topic://golden-fan' }, { action: 'topic://golden-one' }], payloads: payloads(2), query_prepared: u('/tf/qp'), retry_interval: 1 }) },
  ] },
  { name: 'saga-force-stop', answers: { '/sf/a1': [ONGOING] }, until: 'failed', calls: [
    { route: 'submit', body: (u) => ({ trans_type: 'saga', steps: steps(u, 'sf'), payloads: payloads(2), retry_interval: 60 }) },
    { route: 'forceStop', body: () => ({}) },
  ] },
  { name: 'tcc-normal', answers: {}, until: 'succeed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'tcc' }) },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tn', '01') },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tn', '02') },
    { route: 'submit', body: () => ({ trans_type: 'tcc' }) },
  ] },
  { name: 'tcc-rollback', answers: { '/tr/02/cancel': [ONGOING, OK] }, until: 'failed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'tcc', retry_interval: 1 }) },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tr', '01') },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tr', '02') },
    { route: 'abort', body: () => ({ trans_type: 'tcc', rollback_reason: 'reason: Insufficient balance FAILURE' }) },
  ] },
  { name: 'tcc-timeout', answers: {}, until: 'failed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'tcc', timeout_to_fail: 1 }) },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tt', '01') },
  ] },
  { name: 'tcc-confirm-retry', answers: { '/tc/01/confirm': [FAIL, OK] }, until: 'succeed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'tcc', retry_interval: 1 }) },
    { route: 'registerBranch', body: (u) => tccBranch(u, 'tc', '01') },
    { route: 'submit', body: () => ({ trans_type: 'tcc' }) },
  ] },
  { name: 'xa-commit', answers: { '/xc/02/xa': [ONGOING, OK] }, until: 'succeed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'xa', retry_interval: 1 }) },
    { route: 'registerBranch', body: (u) => ({ trans_type: 'xa', branch_id: '01', url: u('/xc/01/xa') }) },
    { route: 'registerBranch', body: (u) => ({ trans_type: 'xa', branch_id: '02', url: u('/xc/02/xa') }) },
    { route: 'submit', body: () => ({ trans_type: 'xa' }) },
  ] },
  { name: 'xa-rollback', answers: { '/xr/01/xa': [ERR, OK] }, until: 'failed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'xa', retry_interval: 1 }) },
    { route: 'registerBranch', body: (u) => ({ trans_type: 'xa', branch_id: '01', url: u('/xr/01/xa') }) },
    { route: 'abort', body: () => ({ trans_type: 'xa', rollback_reason: 'local transaction failed' }) },
  ] },
  { name: 'xa-timeout', answers: {}, until: 'failed', calls: [
    { route: 'prepare', body: () => ({ trans_type: 'xa', timeout_to_fail: 1 }) },
    { route: 'registerBranch', body: (u) => ({ trans_type: 'xa', branch_id: '01', url: u('/xt/01/xa') }) },
  ] },
  ...WORKFLOW_SCENARIOS,
];

/** A tcc registerBranch body (spec §3.3.5): a flat object of strings. */
function tccBranch(url: (p: string) => string, p: string, id: string): Record<string, string> {
  return { trans_type: 'tcc', branch_id: id, data: '{"amount":30}', confirm: url(`/${p}/${id}/confirm`), cancel: url(`/${p}/${id}/cancel`) };
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? 'test/fixtures/event-logs/v1');
  mkdirSync(outDir, { recursive: true });
  await new Promise<void>((r) => branch.listen(0, '127.0.0.1', r));
  const url = (p: string) => `http://127.0.0.1:${(branch.address() as AddressInfo).port}${p}`;
  // the example custom type is recorded too: golden logs cover every type dtx ships
  const quorum = path.resolve(import.meta.dirname, '../examples/quorum/index.js');
  // our own data dir: the topic key's events are read from it after the stop (exportTopicLog)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dtx-golden-'));
  const dtx = await startDtx({ syncCommit: true, nodeArgs: [], dataDir, env: { TRANS_TYPES: quorum } });
  try {
    for (const s of SCENARIOS) {
      const file = path.join(outDir, `${s.name}.jsonl`);
      if (existsSync(file)) {
        process.stdout.write(`keep    ${s.name} (released fixtures never change)\n`);
        continue;
      }
      for (const [p, a] of Object.entries(s.answers)) scripts.set(p, a);
      for (const [topic, p] of s.subscribe ?? []) await fetch(`${dtx.origin}/api/dtmsvr/subscribe?${new URLSearchParams({ topic, url: url(p), remark: 'golden' }).toString()}`);
      const gid = `golden-${s.name}`;
      for (const [p, hook] of Object.entries(s.callbacks?.({ origin: dtx.origin, gid }) ?? {})) hooks.set(p, hook);
      for (const c of s.calls) {
        await fetch(`${dtx.origin}/api/dtmsvr/${c.route}`, { method: 'POST', body: JSON.stringify({ gid, ...c.body(url) }) });
        await new Promise((r) => setTimeout(r, 300));
      }
      const deadline = Date.now() + 20_000;
      let h: { status: string; verified: boolean; events: unknown[]; replayed_status: string } | undefined;
      while (Date.now() < deadline) {
        h = (await (await fetch(`${dtx.origin}/api/dtx/history?gid=${gid}`)).json()) as typeof h;
        if (h?.status === s.until) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (h?.status !== s.until || !h.verified) throw new Error(`${s.name}: ended ${h?.status}, verified ${h?.verified}`);
      const view = (await (await fetch(`${dtx.origin}/api/dtmsvr/query?gid=${gid}`)).json()) as unknown;
      writeFileSync(file, h.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      writeFileSync(path.join(outDir, `${s.name}.final.json`), JSON.stringify({ status: h.status, view }, null, 2) + '\n');
      process.stdout.write(`record  ${s.name}: ${h.events.length} events, ${h.status}\n`);
    }
    await recordTopicChanges(dtx.origin, outDir, url);
  } finally {
    await dtx.stop();
    branch.close();
  }
  await exportTopicLog(dataDir, outDir);
  rmSync(dataDir, { recursive: true, force: true });
}

/** The changes of one topic key (docs/topics.md): subscribe, unsubscribe, delete, re-create. */
const TOPIC_SCENARIO = 'topic-changes';
const TOPIC = 'golden-changes';

async function recordTopicChanges(origin: string, outDir: string, url: (p: string) => string): Promise<void> {
  if (existsSync(path.join(outDir, `${TOPIC_SCENARIO}.jsonl`))) return;
  const calls = [['subscribe', '/t/a'], ['subscribe', '/t/b'], ['unsubscribe', '/t/a'], ['delete', ''], ['subscribe', '/t/c']] as const;
  for (const [op, p] of calls) {
    const res = op === 'delete'
      ? await fetch(`${origin}/api/dtmsvr/topic/${TOPIC}`, { method: 'DELETE' })
      : await fetch(`${origin}/api/dtmsvr/${op}?${new URLSearchParams({ topic: TOPIC, url: url(p), remark: 'golden' }).toString()}`);
    if (res.status !== 200) throw new Error(`${TOPIC_SCENARIO}: ${op} ${p} answered ${res.status} ${await res.text()}`);
  }
}

/** Topic keys are no transactions (no history route): their events are read from the stopped dtx's log. */
async function exportTopicLog(dataDir: string, outDir: string): Promise<void> {
  const file = path.join(outDir, `${TOPIC_SCENARIO}.jsonl`);
  if (existsSync(file)) return;
  const log = SqliteEventLog.open({ dir: dataDir, syncCommit: false });
  try {
    const records = await log.read(topicKey(TOPIC));
    const kv = (await log.queryKV('topics', TOPIC)).map(({ id: _adapterId, ...row }) => row);
    writeFileSync(file, records.map(encodeRecord).join('\n') + '\n');
    writeFileSync(path.join(outDir, `${TOPIC_SCENARIO}.final.json`), JSON.stringify({ state: foldTopic(TOPIC, records), kv }, null, 2) + '\n');
    process.stdout.write(`record  ${TOPIC_SCENARIO}: ${records.length} events\n`);
  } finally {
    await log.close();
  }
}

await main();
