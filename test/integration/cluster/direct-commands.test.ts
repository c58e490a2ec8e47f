import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOwner } from '../../../src/cluster/command-bus.js';
import { CommandExchange } from '../../../src/cluster/command-exchange.js';
import { startInternalServer } from '../../../src/cluster/internal-server.js';
import { OwnerLinks } from '../../../src/cluster/owner-links.js';
import { ReplyHub } from '../../../src/cluster/reply-hub.js';
import { repliesService, ReplySender } from '../../../src/cluster/reply-service.js';
import type { Command, Reply } from '../../../src/engine/command.js';
import { NotOwner } from '../../../src/errors.js';
import { partitionOf } from '../../../src/log/gid-partitioner.js';
import { CONFIG_DEFAULTS } from '../../../src/config/config-schema.js';

/**
 * Direct commands (docs/kafka.md) on real gRPC over 127.0.0.1: an owner's `Commands/Exchange`
 * (CommandExchange) and an ingress's streams to it (OwnerLinks), with a scripted local owner.
 */
const logger = pino({ level: 'silent' });
const PARTITIONS = 4;
const query = (gid: string, id = `q-${gid}`): Command => ({ id, gid, kind: 'query' });
const P = partitionOf('g-1', PARTITIONS);
const isNotOwner = (r: Reply) => !r.ok && r.code === NotOwner.code;

/** A local owner serving `served`; `hold` makes its decisions wait until released. */
class ScriptedOwner implements LocalOwner {
  readonly decided: Array<[number, string, boolean]> = [];
  readonly held: Array<() => void> = [];
  hold = false;
  constructor(readonly served: Set<number>) {}
  serves(p: number): boolean {
    return this.served.has(p);
  }
  deliver(p: number, cmd: Command, wait: boolean, accepted?: () => void): Promise<Reply> {
    this.decided.push([p, cmd.id, wait]);
    if (wait) accepted?.(); // durable at once here
    const reply: Reply = { ok: true, view: `decided ${cmd.id}` };
    if (!this.hold) return Promise.resolve(reply);
    return new Promise((resolve) => this.held.push(() => resolve(reply)));
  }
}

async function ownerServer(owner: ScriptedOwner, tokens: readonly string[] = []) {
  const exchange = new CommandExchange(logger);
  exchange.serve(owner, PARTITIONS);
  const server = await startInternalServer([exchange.service], '127.0.0.1', 0, tokens, CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger);
  return { exchange, server, address: `127.0.0.1:${server.port}` };
}

/** An owner whose decisions never come, and a wait command sent to it that it has received. */
async function pendingOnHeldOwner(id: string) {
  const held = new ScriptedOwner(new Set([P]));
  held.hold = true;
  const other = await ownerServer(held);
  const links = new OwnerLinks('me:1', logger);
  const pending = links.deliver(P, other.address, query('g-1', id), true, 30_000);
  for (let i = 0; i < 400 && held.decided.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(held.decided).toEqual([[P, id, true]]);
  return { other, links, pending };
}

describe('direct commands between workers (real gRPC on 127.0.0.1)', () => {
  const owner = new ScriptedOwner(new Set([P]));
  let remote: Awaited<ReturnType<typeof ownerServer>>;

  beforeAll(async () => {
    remote = await ownerServer(owner);
  });
  afterAll(async () => {
    remote.exchange.closeAll();
    await remote.server.stop();
  });

  it('sends commands to the learned owner, which decides them in-process and answers on the stream', async () => {
    const links = new OwnerLinks('me:1', logger);
    links.learn(P, remote.address);
    expect(links.ownerOf(P)).toBe(remote.address);
    const told: string[] = [];
    const replies = await Promise.all([
      links.deliver(P, remote.address, query('g-1', 'a'), false, 5000, () => told.push('a')),
      links.deliver(P, remote.address, query('g-1', 'b'), true, 5000, () => told.push('b')).then((r) => (told.push('b answered'), r)),
    ]);
    expect(replies).toEqual([{ ok: true, view: 'decided a' }, { ok: true, view: 'decided b' }]);
    expect(told).toEqual(['b', 'b answered']); // the wait command was accepted before its answer
    expect(owner.decided.slice(-2)).toEqual([[P, 'a', false], [P, 'b', true]]);
    links.close();
  });

  it('a partition the owner does not serve is answered DTX_NOT_OWNER and its route forgotten', async () => {
    const links = new OwnerLinks('me:1', logger);
    let gid = 'other-0';
    for (let i = 1; partitionOf(gid, PARTITIONS) === P; i += 1) gid = `other-${i}`;
    const p = partitionOf(gid, PARTITIONS);
    links.learn(p, remote.address);
    const before = owner.decided.length;
    expect(isNotOwner(await links.deliver(p, remote.address, query(gid), false, 5000))).toBe(true);
    expect(links.ownerOf(p)).toBeUndefined();
    expect(owner.decided).toHaveLength(before);
    links.close();
  });

  it('never routes to itself', () => {
    const links = new OwnerLinks('me:1', logger);
    links.learn(P, 'me:1');
    expect(links.ownerOf(P)).toBeUndefined();
  });

  it('answers DTX_NOT_OWNER when the owner is unreachable, or does not answer in time', async () => {
    const links = new OwnerLinks('me:1', logger);
    const closed = await startInternalServer([], '127.0.0.1', 0, [], CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger);
    const gone = `127.0.0.1:${closed.port}`;
    await closed.stop();
    links.learn(P, gone);
    expect(isNotOwner(await links.deliver(P, gone, query('g-1'), false, 5000))).toBe(true);
    expect(links.ownerOf(P)).toBeUndefined();
    owner.hold = true;
    const late = await links.deliver(P, remote.address, query('g-1', 'slow'), false, 300);
    expect(isNotOwner(late)).toBe(true);
    expect(!late.ok && late.message).toMatch(/no answer within/);
    owner.hold = false;
    for (const release of owner.held.splice(0)) release();
    links.close();
  });

  it('a command pending when the owner shuts its streams is answered DTX_NOT_OWNER', async () => {
    const { other, links, pending } = await pendingOnHeldOwner('pending');
    other.exchange.closeAll();
    expect(isNotOwner(await pending)).toBe(true);
    await other.server.stop();
    links.close();
  });

  it('stops even while a peer keeps a stream open, which then fails its pending commands', async () => {
    const { other, links, pending } = await pendingOnHeldOwner('open');
    await other.server.stop(); // the exchange's streams were not closed first
    expect(isNotOwner(await pending)).toBe(true);
    links.close();
  });

  it('closes the stream with INVALID_ARGUMENT on a batch that is not one, and keeps serving', async () => {
    const bad = ['{"a":1}', 'nope', '[{"requestId":"1","wait":"yes","command":{"id":"x","gid":"g","kind":"query"}}]', `[{"requestId":"${'x'.repeat(65)}","wait":false,"command":{"id":"x","gid":"g","kind":"query"}}]`, '[{"requestId":"1","wait":false,"command":{"id":"x","gid":"g","kind":"drop"}}]'];
    for (const json of bad) expect(await exchangeRaw(remote.address, Buffer.from(json))).toBe(grpc.status.INVALID_ARGUMENT);
    const links = new OwnerLinks('me:1', logger);
    expect(await links.deliver(P, remote.address, query('g-1', 'after'), false, 5000)).toEqual({ ok: true, view: 'decided after' });
    links.close();
  });

  it('with Auth.Tokens, takes commands only from a worker that sends one of them', async () => {
    const TOKEN = 'internal-token-0123456789';
    const guarded = new ScriptedOwner(new Set([P]));
    const other = await ownerServer(guarded, [TOKEN]);
    const stranger = new OwnerLinks('me:1', logger);
    const refused = await stranger.deliver(P, other.address, query('g-1', 'forged'), false, 5000);
    expect(isNotOwner(refused)).toBe(true);
    expect(!refused.ok && refused.message).toMatch(/authentication required/);
    const wrong = new OwnerLinks('me:1', logger, 'not-the-token-0123456789');
    expect(isNotOwner(await wrong.deliver(P, other.address, query('g-1', 'wrong'), false, 5000))).toBe(true);
    expect(guarded.decided).toEqual([]);
    const worker = new OwnerLinks('me:1', logger, TOKEN);
    expect(await worker.deliver(P, other.address, query('g-1', 'signed'), false, 5000)).toEqual({ ok: true, view: 'decided signed' });
    for (const l of [stranger, wrong, worker]) l.close();
    other.exchange.closeAll();
    await other.server.stop();
  });

  it('a reply through Replies/Deliver names its sender, and the ingress learns the partition owner', async () => {
    const hub = new ReplyHub();
    const seen: Array<[number, string]> = [];
    hub.observeOwners((p, o) => seen.push([p, o]));
    const server = await startInternalServer([repliesService(hub)], '127.0.0.1', 0, [], CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger);
    const id = hub.newRequestId();
    const wait = hub.expect(id, 10_000, 3);
    const sender = new ReplySender('owner:7', new ReplyHub(), logger);
    sender.send(`127.0.0.1:${server.port}`, { requestId: id, reply: { ok: true } });
    expect(await wait).toEqual({ ok: true });
    expect(seen).toEqual([[3, 'owner:7']]);
    sender.close();
    await server.stop();
  });
});

/** One CommandBatch written raw (field 1, JSON bytes); resolves with the stream's status code. */
function exchangeRaw(address: string, json: Buffer): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const stream = client.makeBidiStreamRequest('/dtx.internal.Commands/Exchange', (b: Buffer) => b, (b: Buffer) => b);
  return new Promise((resolve) => {
    stream.on('data', () => undefined);
    stream.on('status', (s: grpc.StatusObject) => {
      client.close();
      resolve(s.code);
    });
    stream.on('error', () => undefined);
    stream.write(Buffer.concat([Buffer.from([0x0a, ...varint(json.length)]), json]));
  });
}

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  return [...out, n];
}
