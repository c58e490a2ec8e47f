import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplyHub } from '../../../src/cluster/reply-hub.js';
import { MAX_REPLY_PEERS, repliesService, ReplySender } from '../../../src/cluster/reply-service.js';
import { startInternalServer } from '../../../src/cluster/internal-server.js';
import type { Reply } from '../../../src/engine/command.js';
import { CONFIG_DEFAULTS } from '../../../src/config/config-schema.js';

const logger = pino({ level: 'silent' });
const DELIVER = '/dtx.internal.Replies/Deliver';

/** Calls Deliver with raw request bytes; resolves with the status code. */
function deliverRaw(address: string, bytes: Buffer): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(DELIVER, (b: Buffer) => b, (b: Buffer) => b, bytes, { deadline: Date.now() + 5000 }, (err) => {
      client.close();
      resolve(err === null ? grpc.status.OK : err.code);
    });
  });
}

/** Ports on 127.0.0.1 where nothing listens (each bound, then closed). */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    ports.push((srv.address() as { port: number }).port);
    await new Promise((r) => srv.close(r));
  }
  return ports;
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('internal reply service (real gRPC on 127.0.0.1)', () => {
  const hub = new ReplyHub();
  let server: { port: number; stop(): Promise<void> };
  let address: string;

  beforeAll(async () => {
    server = await startInternalServer([repliesService(hub)], '127.0.0.1', 0, [], CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger);
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('ReplySender batches replies to a remote worker, whose hub answers the waiters', async () => {
    const sender = new ReplySender('other:1', new ReplyHub(), logger);
    const ids = [hub.newRequestId(), hub.newRequestId()];
    const waits = ids.map((id) => hub.expect(id, 10_000, 3));
    const replies: Reply[] = [{ ok: true, view: '{"gid":"é"}' }, { ok: false, result: 'FAILURE', message: 'no' }];
    ids.forEach((id, i) => sender.send(address, { requestId: id, reply: replies[i]! }));
    expect(await Promise.all(waits)).toEqual(replies);
    expect(sender.peers).toBe(1); // a worker that answers keeps its client
    sender.close();
  });

  it('ReplySender keeps at most MAX_REPLY_PEERS clients and forgets an address where nothing listens', async () => {
    const sender = new ReplySender('other:1', new ReplyHub(), logger);
    const dead = await freePorts(MAX_REPLY_PEERS + 6);
    dead.forEach((port, i) => sender.send(`127.0.0.1:${port}`, { requestId: `r${i}`, reply: { ok: true } }));
    await new Promise((r) => setImmediate(r)); // after the turn's batches were handed over
    expect(sender.peers).toBe(MAX_REPLY_PEERS);
    await until(() => sender.peers === 0, 'every refused delivery forgets its client');
    // and a live address is still served afterwards
    const id = hub.newRequestId();
    const wait = hub.expect(id, 10_000, 0);
    sender.send(address, { requestId: id, reply: { ok: true } });
    expect(await wait).toEqual({ ok: true });
    expect(sender.peers).toBe(1);
    sender.close();
  });

  it('replies addressed to the sender itself go to its own hub in-process', async () => {
    const own = new ReplyHub();
    const sender = new ReplySender('me:1', own, logger);
    const id = own.newRequestId();
    const wait = own.expect(id, 10_000, 0);
    sender.send('me:1', { requestId: id, reply: { ok: true } });
    expect(await wait).toEqual({ ok: true });
    sender.close();
  });

  it('accepts the wire format by hand: field 1 (tag 0x0a), varint length, JSON bytes', async () => {
    const id = hub.newRequestId();
    const wait = hub.expect(id, 10_000, 0);
    const json = Buffer.from(JSON.stringify([{ requestId: id, reply: { ok: true, view: 'x'.repeat(200) } }]));
    expect(json.length).toBeGreaterThan(127); // a two-byte varint length
    const len = [(json.length & 0x7f) | 0x80, json.length >>> 7];
    expect(await deliverRaw(address, Buffer.concat([Buffer.from([0x0a, ...len]), json]))).toBe(grpc.status.OK);
    expect(await wait).toEqual({ ok: true, view: 'x'.repeat(200) });
  });

  it('answers INVALID_ARGUMENT to a batch that is not a JSON array', async () => {
    const body = Buffer.from('{"a":1}');
    expect(await deliverRaw(address, Buffer.concat([Buffer.from([0x0a, body.length]), body]))).toBe(grpc.status.INVALID_ARGUMENT);
    const notJson = Buffer.from('nope');
    expect(await deliverRaw(address, Buffer.concat([Buffer.from([0x0a, notJson.length]), notJson]))).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
