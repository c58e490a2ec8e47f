import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS } from '../support/branch-server.js';
import { gidOf, saga, waitFor, type ApiReply } from '../support/dtm-client.js';
import { freshPrefix, gidInPartitions, readTopic, routesOf, startWorker, stopWorkers, waitOwnership, waitSpread } from '../support/kafka-workers.js';
import { eventsByGid, expectContiguous } from './kafka-test-kit.js';

/**
 * Direct commands (docs/kafka.md) on a real broker: once a reply named the owner of a partition,
 * worker A's ingress sends that partition's commands straight to the owner B. When the owner dies
 * (B, SIGKILL) or freezes (C, SIGSTOP) with commands in flight, A sends them through the topic and
 * the client still gets the answer of the partition's next owner; every transaction's events stay
 * contiguous. The workers run with Auth.Tokens: they pass the token to each other.
 */
const PARTITIONS = 4;
const prefix = freshPrefix('direct');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;
let c: DtxProcess;
const TOKEN = 'direct-commands-token-0123';
const env = { AUTH_TOKENS: TOKEN, AUTH_PUBLIC_METRICS: 'true' };

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/d/slow', { ...SUCCESS, delayMs: 1500 }).on('/d/long', { ...SUCCESS, delayMs: 2000 });
  a = await startWorker({ prefix, partitions: PARTITIONS, env });
  await waitOwnership([a], PARTITIONS);
  b = await startWorker({ prefix, partitions: PARTITIONS, env });
  c = await startWorker({ prefix, partitions: PARTITIONS, env });
  await waitSpread([a, b, c], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b, c);
  await bs?.close();
});

/** A submit through `w`, with the token. */
async function submit(w: DtxProcess, body: unknown): Promise<ApiReply> {
  const res = await fetch(`${w.api}/submit`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

/** Waits until `query` through `w` shows `status` for `gid`. */
async function waitStatus(w: DtxProcess, gid: string, status: string, timeoutMs: number): Promise<void> {
  const statusOf = async () => {
    const res = await fetch(`${w.api}/query?gid=${encodeURIComponent(gid)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return ((await res.json()) as { transaction?: { status?: string } | null }).transaction?.status;
  };
  await waitFor(statusOf, (st) => st === status, timeoutMs, `${gid} to be ${status}`);
}

/** A fresh gid whose partition `owned` holds. */
const gidIn = (owned: readonly number[], name: string) => gidInPartitions(owned, name, PARTITIONS);

const fast = () => [{ action: bs.url('/d/ok'), compensate: bs.url('/d/undo') }];
const slow = () => [{ action: bs.url('/d/slow'), compensate: bs.url('/d/undo') }];

/** Submits one saga through A to each of `owned`: its reply (through the topic, or direct) names the owner. */
async function learnRoutes(owned: readonly number[]): Promise<void> {
  const replies = await Promise.all(owned.map((p) => submit(a, saga(gidIn([p], 'learn'), fast()))));
  expect(replies.map((r) => r.status)).toEqual(owned.map(() => 200));
}

/** `host:port` of a worker's internal service, from its start line. */
function internalOf(w: DtxProcess): string {
  const line = w.logs.find((l) => l.includes('"dtx listening"'))!;
  return (JSON.parse(line) as { internal: string }).internal;
}

/** One raw CommandBatch (field 1) on `Commands/Exchange`, with `token` if given: the stream's status code. */
function exchangeRaw(address: string, json: string, token?: string): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const stream = client.makeBidiStreamRequest('/dtx.internal.Commands/Exchange', (b: Buffer) => b, (b: Buffer) => b, metadata);
  const bytes = Buffer.from(json);
  return new Promise((resolve) => {
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.on('status', (s: grpc.StatusObject) => {
      client.close();
      resolve(s.code);
    });
    stream.write(Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes])); // length < 128: one varint byte
    stream.end();
  });
}

describe('direct commands between workers', () => {
  it('the internal service of a real worker listens on 127.0.0.1, refuses a caller without the token and a bad batch, and the worker runs on', async () => {
    const address = internalOf(a);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const forged = '[{"requestId":"1","wait":false,"command":{"id":"x","gid":"g","kind":"forceStop"}}]';
    expect(await exchangeRaw(address, forged)).toBe(grpc.status.UNAUTHENTICATED);
    expect(await exchangeRaw(address, forged, 'not-the-token-0123456789')).toBe(grpc.status.UNAUTHENTICATED);
    expect(await exchangeRaw(address, '{"not":"an array"}', TOKEN)).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await exchangeRaw(address, '[{"requestId":"1","wait":"no","command":null}]', TOKEN)).toBe(grpc.status.INVALID_ARGUMENT);
    const gid = gidOf('after-hostile');
    expect((await submit(a, saga(gid, fast()))).status).toBe(200);
    await waitStatus(a, gid, 'succeed', 20_000);
  });

  it('sends the commands of a partition B owns straight to B once a reply named it', async () => {
    const [, ofB] = await waitSpread([a, b, c], PARTITIONS);
    await learnRoutes(ofB!);
    const before = await routesOf(a);
    const gids = Array.from({ length: 20 }, () => gidIn(ofB!, 'direct'));
    for (const gid of gids) expect((await submit(a, saga(gid, fast()))).status).toBe(200);
    const after = await routesOf(a);
    expect(after.direct - before.direct).toBe(gids.length);
    expect(after.topic).toBe(before.topic);
    for (const gid of gids) await waitStatus(a, gid, 'succeed', 20_000);
  });

  it('a direct wait_result submit that runs past 3 s stays off the topic: only its outcome is asked for there', async () => {
    const [, ofB] = await waitSpread([a, b, c], PARTITIONS);
    await learnRoutes(ofB!);
    const before = await routesOf(a);
    const gid = gidIn(ofB!, 'long');
    // two steps of 2 s each; request_timeout 15 s gives each call, and the wait (its pass limit is
    // request_timeout + 2 s), room on a busy machine
    const steps = [1, 2].map(() => ({ action: bs.url('/d/long'), compensate: bs.url('/d/undo') }));
    const res = await submit(a, saga(gid, steps, { wait_result: true, request_timeout: 15 }));
    expect(res.status).toBe(200);
    expect(res.body.dtm_result).toBe('SUCCESS');
    expect((await routesOf(a)).direct).toBe(before.direct + 1);
    const kinds = (await readTopic(`${prefix}.commands`)).filter((r) => r.key === gid).map((r) => (JSON.parse(r.value ?? '{}') as { kind?: string }).kind);
    expect(kinds.length).toBeGreaterThan(0); // the follow-ups, every 3 s
    expect(kinds.every((k) => k === 'awaitResult')).toBe(true);
  });

  it('answers a client waiting on a direct submit through the next owner when the owner dies', async () => {
    const [, ofB] = await waitSpread([a, b, c], PARTITIONS);
    await learnRoutes(ofB!);
    const before = await routesOf(a);
    const gid = gidIn(ofB!, 'dies');
    const answer = submit(a, saga(gid, slow(), { wait_result: true }));
    await waitFor(() => Promise.resolve(bs.callsTo('/d/slow', gid).length), (n) => n === 1, 20_000, 'the slow branch call from B');
    expect((await routesOf(a)).direct).toBe(before.direct + 1);
    await b.kill('SIGKILL');
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.dtm_result).toBe('SUCCESS');
    expect(bs.callsTo('/d/slow', gid).length).toBeGreaterThanOrEqual(2); // re-driven by the next owner
    expectContiguous(eventsByGid(await readTopic(`${prefix}.events`)), [gid], 2);
  });

  it('answers a waiting client and a new command through the next owner when the owner freezes', async () => {
    const [, ofC] = await waitSpread([a, c], PARTITIONS);
    await learnRoutes(ofC!);
    const before = await routesOf(a);
    const waiting = gidIn(ofC!, 'waits');
    const answer = submit(a, saga(waiting, slow(), { wait_result: true }));
    await waitFor(() => Promise.resolve(bs.callsTo('/d/slow', waiting).length), (n) => n === 1, 20_000, 'the slow branch call from C');
    c.proc.kill('SIGSTOP');
    // sent to the frozen owner: unanswered, it goes through the topic to the partition's next owner
    const frozen = gidIn(ofC!, 'frozen');
    const accepted = submit(a, saga(frozen, fast()));
    await waitOwnership([a], PARTITIONS, 60_000);
    expect((await routesOf(a)).direct).toBe(before.direct + 2);
    expect((await accepted).status).toBe(200);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.dtm_result).toBe('SUCCESS');
    await waitStatus(a, frozen, 'succeed', 30_000);
    await c.kill('SIGKILL');
    expectContiguous(eventsByGid(await readTopic(`${prefix}.events`)), [waiting, frozen], 2);
  });
});
