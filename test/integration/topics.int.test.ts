import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { get, gidOf, post, query, rows, waitFor, waitStatus, type ApiReply } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, unary } from '../support/dtm-grpc-client.js';

/** Topics, subscriptions and KV (spec §9, §15.3 topic_test.go, msg fan-out of TestMsgNormal) on the real process. */
let dtx: DtxProcess;
let bs: BranchServer;
let client: grpc.Client;
beforeAll(async () => {
  bs = await BranchServer.start();
  dtx = await startDtx();
  client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await dtx?.kill();
  await bs?.close();
});

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
const subscribe = (topic: string, url: string, remark = 'for test'): Promise<ApiReply> => get(dtx.api, `subscribe?${q({ topic, url, remark })}`);
const unsubscribe = (topic: string, url: string): Promise<ApiReply> => get(dtx.api, `unsubscribe?${q({ topic, url })}`);
const deleteTopic = async (topic: string): Promise<ApiReply> => {
  const res = await fetch(`${dtx.api}/topic/${encodeURIComponent(topic)}`, { method: 'DELETE' });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
};
interface Kv { id: number; cat: string; k: string; v: string; version: number; create_time: string; update_time: string }
const queryKV = async (cat: string, key: string): Promise<Kv[]> => (await get(dtx.api, `queryKV?${q({ cat, key })}`)).body.kv as Kv[];
const topicName = (p: string) => gidOf(p).replace(/[^A-Za-z0-9_-]/g, '_');
const msg = (gid: string, actions: string[]) => ({ gid, trans_type: 'msg', steps: actions.map((action) => ({ action })), payloads: actions.map((_, i) => `{"n":${i}}`), query_prepared: bs.url('/qp') });

describe('topics over HTTP (TestTopicNormal)', () => {
  it("subscribe, unsubscribe and delete follow dtm's rules and texts", async () => {
    const t = topicName('tn');
    expect(await subscribe(t, 'http://dtm/test1')).toMatchObject({ status: 200, body: { dtm_result: 'SUCCESS' } });
    expect(await subscribe(t, 'http://dtm/test1')).toMatchObject({ status: 500, body: { message: 'this url exists', code: 'DTX_TOPIC_REFUSED' } });
    expect(await subscribe('', 'http://dtm/test1')).toMatchObject({ status: 400, body: { message: 'empty topic' } });
    expect(await subscribe(t, '')).toMatchObject({ status: 400, body: { message: 'empty url' } });
    expect((await subscribe(t, 'http://dtm/test2')).status).toBe(200);
    expect((await unsubscribe(t, 'http://dtm/test1')).status).toBe(200);
    expect(await unsubscribe(t, 'http://dtm/test1')).toMatchObject({ status: 500, body: { message: 'no such an url ' } });
    expect((await unsubscribe('', 'http://dtm/test1')).status).toBe(400);
    expect((await unsubscribe(t, '')).status).toBe(400);
    expect(await unsubscribe(`${t}_none`, 'http://dtm/test1')).toMatchObject({ status: 500, body: { message: 'no such a topic' } });
    expect((await unsubscribe(t, 'http://dtm/test2')).status).toBe(200);
    expect(await unsubscribe(t, 'http://dtm/test2')).toMatchObject({ status: 500, body: { message: 'this topic is empty' } });
    expect(await queryKV('topics', t)).toEqual([expect.objectContaining({ v: '[]', version: 4 })]);
    expect(await deleteTopic(`${t}_none`)).toMatchObject({ status: 500, body: { message: 'storage: NotFound' } });
    expect(await deleteTopic(t)).toMatchObject({ status: 200, body: { dtm_result: 'SUCCESS' } });
    expect(await queryKV('topics', t)).toEqual([]);
    // the metrics' api label is `topic`, never a topic name
    const metrics = await (await fetch(`http://127.0.0.1:${dtx.port}/api/metrics`)).text();
    expect(metrics).toMatch(/api="topic"/);
    expect(metrics).not.toContain(t);
  });

  it('20 concurrent subscribes, then unsubscribes: version == 2 × successes (TestConcurrentUpdateTopic)', async () => {
    const t = topicName('tc');
    const urls = Array.from({ length: 20 }, (_, i) => `http://dtm/test${i}`);
    const replies = await Promise.all(urls.map((u) => subscribe(t, u)));
    const ok = urls.filter((_, i) => replies[i]!.status === 200);
    expect(ok).toHaveLength(20); // one owner decides every change of a topic: no lost CAS as in dtm
    for (const u of ok) expect((await unsubscribe(t, u)).status).toBe(200);
    const [row] = await queryKV('topics', t);
    expect(row).toMatchObject({ cat: 'topics', k: t, v: '[]', version: 2 * ok.length });
    expect(Object.keys(row!).sort()).toEqual(['cat', 'create_time', 'id', 'k', 'update_time', 'v', 'version']);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const t = topicName('tb');
    expect(await subscribe('a/b', 'http://dtm/x')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^topic: must be 1-128/) } });
    expect(await subscribe('x'.repeat(129), 'http://dtm/x')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^topic:/) } });
    expect(await subscribe(t, 'http://user:pw@dtm/x')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^url: must not carry credentials/) } });
    expect(await subscribe(t, 'ftp://dtm/x')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^url: /) } });
    expect(await subscribe(t, `http://127.0.0.1:${dtx.port}/api/dtmsvr/submit`)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^url: /) } });
    expect(await subscribe(t, 'http://dtm/x', 'r'.repeat(1025))).toMatchObject({ status: 400, body: { message: 'remark: must be at most 1024 characters' } });
    expect((await get(dtx.api, 'queryKV?cat=to%20pics')).status).toBe(400);
    expect((await get(dtx.api, 'scanKV?cat=topics&limit=x')).status).toBe(400);
    expect(await queryKV('topics', t)).toEqual([]);
  });
});

describe('msg fan-out', () => {
  it('a topic step calls every subscriber: rows 01-01, 01-02 (TestMsgNormal); one subscriber keeps 02', async () => {
    const [t2, t1] = [topicName('f2'), topicName('f1')];
    await subscribe(t2, bs.url('/fan/a'));
    await subscribe(t2, bs.url('/fan/b'));
    await subscribe(t1, bs.url('/fan/c'));
    const gid = gidOf('fan');
    expect((await post(dtx.api, 'submit', msg(gid, [`topic://${t2}`, `topic://${t1}`]))).status).toBe(200);
    const done = await waitStatus(dtx.api, gid, 'succeed');
    expect(done.branches.map((b) => `${b.branch_id} ${String(b.url)}`)).toEqual([`01-01 ${bs.url('/fan/a')}`, `01-02 ${bs.url('/fan/b')}`, `02 ${bs.url('/fan/c')}`]);
    expect(rows(done)).toEqual(['succeed', 'succeed', 'succeed']);
    expect((done.transaction as { steps?: unknown }).steps).toEqual([{ action: `topic://${t2}` }, { action: `topic://${t1}` }]);
    const calls = bs.calls.filter((c) => c.query.gid === gid);
    expect(calls.map((c) => `${c.query.branch_id} ${c.path} ${c.body}`).sort()).toEqual(['01-01 /fan/a {"n":0}', '01-02 /fan/b {"n":0}', '02 /fan/c {"n":1}']);
  });

  it('an unknown topic answers `topic not found` and stores nothing (TestMsgTopicNotFoundFailed)', async () => {
    const gid = gidOf('nf');
    const r = await post(dtx.api, 'submit', msg(gid, [`topic://${topicName('none')}`]));
    expect(r).toMatchObject({ status: 500, body: { message: 'topic not found', code: 'DTX_TOPIC_NOT_FOUND' } });
    expect(await query(dtx.api, gid)).toEqual({ transaction: null, branches: [] });
  });

  it('a subscription changed between two msgs is seen by the second at once, not by the first', async () => {
    const t = topicName('ch');
    await subscribe(t, bs.url('/ch/old'));
    bs.on('/ch/old', { status: 425, body: '{"dtm_result":"ONGOING"}' });
    const first = gidOf('ch1');
    await post(dtx.api, 'submit', msg(first, [`topic://${t}`]));
    await waitFor(async () => bs.callsTo('/ch/old', first).length, (n) => n > 0);
    expect((await subscribe(t, bs.url('/ch/new'))).status).toBe(200);
    expect((await unsubscribe(t, bs.url('/ch/old'))).status).toBe(200);
    const second = gidOf('ch2');
    await post(dtx.api, 'submit', msg(second, [`topic://${t}`]));
    expect((await waitStatus(dtx.api, second, 'succeed')).branches.map((b) => b.url)).toEqual([bs.url('/ch/new')]);
    expect((await query(dtx.api, first)).branches.map((b) => b.url)).toEqual([bs.url('/ch/old')]);
    expect(bs.callsTo('/ch/new', first)).toEqual([]);
  });
});

describe('msg fan-out over JSON-RPC', () => {
  const rpc = async (method: string, params: unknown) =>
    (await (await fetch(`http://127.0.0.1:${dtx.port}/api/json-rpc`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: '1', method, params }) })).json()) as { error: unknown; result: unknown };

  it('submit fans out; an unknown topic is -32603 `topic not found` with data.code', async () => {
    const t = topicName('jr');
    await subscribe(t, bs.url('/jr/a'));
    await subscribe(t, bs.url('/jr/b'));
    const gid = gidOf('jr');
    expect(await rpc('submit', msg(gid, [`topic://${t}`]))).toMatchObject({ error: null });
    expect((await waitStatus(dtx.api, gid, 'succeed')).branches.map((b) => b.branch_id)).toEqual(['01-01', '01-02']);
    const missing = await rpc('submit', msg(gidOf('jr'), [`topic://${t}_none`]));
    expect(missing.error).toEqual({ code: -32603, message: 'topic not found', data: { code: 'DTX_TOPIC_NOT_FOUND' } });
  });
});

describe('KV reads', () => {
  it('queryKV returns versions; an unknown key gives kv: [] (TestAPIQueryKV)', async () => {
    const t = topicName('kv');
    await subscribe(t, 'http://dtm/a', 'first');
    await subscribe(t, 'http://dtm/b');
    const [row] = await queryKV('topics', t);
    expect(row).toMatchObject({ cat: 'topics', k: t, version: 2, v: '[{"url":"http://dtm/a","remark":"first"},{"url":"http://dtm/b","remark":"for test"}]' });
    expect(Date.parse(row!.update_time)).toBeGreaterThanOrEqual(Date.parse(row!.create_time));
    expect(await get(dtx.api, `queryKV?${q({ cat: 'topics', key: `${t}_nope` })}`)).toMatchObject({ status: 200, text: '{"kv":[]}' });
    expect((await queryKV('topics', '')).some((r) => r.k === t)).toBe(true);
  });

  it('scanKV pages with an opaque cursor (TestAPIScanKV)', async () => {
    for (const p of ['sa', 'sb', 'sc']) await subscribe(topicName(p), 'http://dtm/x');
    const page1 = (await get(dtx.api, 'scanKV?cat=topics&limit=1')).body as { kv: Kv[]; next_position: string };
    expect(page1.kv).toHaveLength(1);
    expect(page1.next_position).not.toBe('');
    const page2 = (await get(dtx.api, `scanKV?${q({ cat: 'topics', limit: '1', position: page1.next_position })}`)).body as { kv: Kv[]; next_position: string };
    expect(page2.kv[0]!.k > page1.kv[0]!.k).toBe(true);
    expect(page2.next_position).not.toBe(page1.next_position);
    expect(((await get(dtx.api, 'scanKV?cat=topics&limit=1000')).body as { next_position: string }).next_position).toBe('');
  });

  it('a msg whose topic steps would fan out past 2,000 branch rows is a 400 naming steps; nothing is stored, dtx serves on', async () => {
    const t = topicName('fan');
    for (let i = 0; i < 256; i += 1) expect((await subscribe(t, `http://dtm/s${i}`)).status).toBe(200);
    const gid = gidOf('fan');
    const r = await post(dtx.api, 'prepare', msg(gid, Array.from({ length: 8 }, () => `topic://${t}`)));
    expect([r.status, r.body.code, r.body.message]).toEqual([400, 'DTX_BAD_REQUEST', 'steps: at most 2000 branch rows per transaction (this would make 2048)']);
    expect((await query(dtx.api, gid)).transaction).toBeNull();
    expect((await get(dtx.api, 'query?gid=none')).status).toBe(200);
  });
});

describe('topics over gRPC', () => {
  it('Subscribe, Unsubscribe and DeleteTopic: dtm errors are UNKNOWN, bad input INVALID_ARGUMENT', async () => {
    const t = topicName('g');
    expect((await unary(client, 'Subscribe', { Topic: t, URL: 'http://dtm/test1', Remark: 'for test' })).code).toBe(grpc.status.OK);
    const dup = await unary(client, 'Subscribe', { Topic: t, URL: 'http://dtm/test1' });
    expect(dup).toMatchObject({ code: grpc.status.UNKNOWN, details: 'this url exists' });
    expect((await unary(client, 'Subscribe', { Topic: '', URL: 'http://dtm/test1' })).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await unary(client, 'Unsubscribe', { Topic: 'non_existent_topic_g', URL: 'http://dtm/test1' })).details).toBe('no such a topic');
    expect((await unary(client, 'Unsubscribe', { Topic: t, URL: 'http://dtm/test1' })).code).toBe(grpc.status.OK);
    expect((await unary(client, 'DeleteTopic', { Topic: 'non_existent_testDeleteTopic' })).details).toBe('storage: NotFound');
    expect((await unary(client, 'DeleteTopic', { Topic: t })).code).toBe(grpc.status.OK);
  });

  it('a msg submitted over gRPC with an unknown topic answers INTERNAL `topic not found`', async () => {
    const r = await unary(client, 'Submit', dtmRequest(gidOf('gnf'), 'msg', [{ action: `topic://${topicName('gnone')}` }], ['{}']));
    expect(r).toMatchObject({ code: grpc.status.INTERNAL, details: 'topic not found' });
  });
});

describe('restart', () => {
  it('SIGKILL keeps topics: same rows and versions, fan-out works after the restart', async () => {
    const dataDir = (await import('../support/dtx-process.js')).tempDir();
    let one = await startDtx({ dataDir });
    const t = topicName('rs');
    await get(one.api, `subscribe?${q({ topic: t, url: bs.url('/rs/a'), remark: '' })}`);
    await get(one.api, `subscribe?${q({ topic: t, url: bs.url('/rs/b'), remark: '' })}`);
    const before = (await get(one.api, `queryKV?${q({ cat: 'topics', key: t })}`)).body.kv;
    await one.kill('SIGKILL');
    one = await startDtx({ dataDir });
    try {
      expect((await get(one.api, `queryKV?${q({ cat: 'topics', key: t })}`)).body.kv).toEqual(before);
      expect((await get(one.api, `subscribe?${q({ topic: t, url: bs.url('/rs/a') })}`)).body.message).toBe('this url exists');
      const gid = gidOf('rs');
      await post(one.api, 'submit', { ...msg(gid, [`topic://${t}`]), query_prepared: '' });
      expect((await waitStatus(one.api, gid, 'succeed')).branches.map((b) => b.branch_id)).toEqual(['01-01', '01-02']);
    } finally {
      await one.kill();
    }
  });
});
