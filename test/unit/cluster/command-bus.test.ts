import pino from 'pino';
import type { Kafka, ProducerRecord } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { KafkaCommandBus, type CommandRoute, type DirectRoutes, type LocalOwner } from '../../../src/cluster/command-bus.js';
import { decodeCommandMessage } from '../../../src/cluster/command-codec.js';
import { ReplyHub } from '../../../src/cluster/reply-hub.js';
import { errorReply, type Command, type Reply } from '../../../src/engine/command.js';
import { NotOwner } from '../../../src/errors.js';
import { partitionOf } from '../../../src/log/gid-partitioner.js';

/**
 * Local commands (docs/kafka.md): a command of a partition this worker serves is decided in-process
 * and never produced; when the local write is refused (NotOwner) it is produced to the commands
 * topic after all, and the answer is the one the partition's new owner sends back.
 */
const SETTINGS = { brokers: ['127.0.0.1:1'], prefix: 'unit', partitions: 4, sessionTimeoutMs: 6000, clientId: 'unit' };
const SELF = '127.0.0.1:9';

async function busWith(local: LocalOwner, direct?: DirectRoutes): Promise<{ bus: KafkaCommandBus; hub: ReplyHub; produced: ProducerRecord[]; routes: CommandRoute[] }> {
  const produced: ProducerRecord[] = [];
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    send: (r: ProducerRecord) => {
      produced.push(r);
      return Promise.resolve([]);
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  const hub = new ReplyHub();
  const bus = await KafkaCommandBus.open(kafka, SETTINGS, SELF, hub, { replyTimeoutMs: 5000, waitTimeoutMs: 5000 }, pino({ level: 'silent' }));
  const routes: CommandRoute[] = [];
  bus.route({ local, ...(direct ? { direct } : {}), routed: (r) => routes.push(r) });
  return { bus, hub, produced, routes };
}

const cmd: Command = { id: 'c-1', gid: 'gid-local', kind: 'query' };
const P = partitionOf(cmd.gid, SETTINGS.partitions);
const until = async (cond: () => boolean, ms = 1000) => {
  for (let i = 0; i < ms / 5 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
/** The command and reply address of a produced record. */
const decodedOf = (r: ProducerRecord) => {
  const message = r.messages[0]!;
  expect(message.partition).toBe(P);
  return decodeCommandMessage({ ...message, key: Buffer.from(String(message.key)), value: Buffer.from(String(message.value)), headers: message.headers } as never)!;
};

describe('KafkaCommandBus with a local owner', () => {
  it.each([false, true])('decides a served partition in-process, producing nothing (wait %s)', async (wait) => {
    const delivered: Array<[number, string, boolean]> = [];
    const { bus, produced } = await busWith({ serves: (p) => p === P, deliver: (p, c, w) => (delivered.push([p, c.id, w]), Promise.resolve({ ok: true, view: 'v' })) });
    await expect(bus.send(cmd, wait)).resolves.toEqual({ ok: true, view: 'v' });
    expect(delivered).toEqual([[P, 'c-1', wait]]);
    await new Promise((r) => setImmediate(r));
    expect(produced).toEqual([]);
  });

  it.each([false, true])('produces the command when the local write is refused, and answers with the owner reply (wait %s)', async (wait) => {
    const refused = errorReply('partition moved', NotOwner.code);
    const { bus, hub, produced } = await busWith({ serves: () => true, deliver: () => Promise.resolve(refused) });
    const answer = bus.send(cmd, wait);
    await until(() => produced.length === 1);
    const decoded = decodedOf(produced[0]!);
    expect(decoded.cmd).toEqual(cmd);
    expect(decoded.address).toMatchObject({ replyTo: SELF, wait });
    const fromOwner: Reply = { ok: true, view: 'from the new owner' };
    hub.deliver(decoded.address!.requestId, fromOwner);
    await expect(answer).resolves.toEqual(fromOwner);
  });

  it('answers a retryable 503 when the local write does not complete within the reply timeout (the brokers away), producing nothing', async () => {
    vi.useFakeTimers();
    try {
      const { bus, produced } = await busWith({ serves: () => true, deliver: () => new Promise<Reply>(() => undefined) });
      const answer = bus.send(cmd, false);
      await vi.advanceTimersByTimeAsync(4999);
      let settled = false;
      void answer.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(answer).resolves.toMatchObject({ ok: false, code: 'DTX_LOG_UNAVAILABLE', message: expect.stringMatching(/did not complete within 5 s \(Store.KafkaReplyTimeout\)/) });
      expect(produced).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('uses the topic for partitions it does not serve', async () => {
    const { bus, hub, produced } = await busWith({ serves: () => false, deliver: () => Promise.reject(new Error('not called')) });
    const answer = bus.send(cmd, false);
    await until(() => produced.length === 1);
    hub.failAll({ ok: true });
    await expect(answer).resolves.toEqual({ ok: true });
  });
});

/**
 * Direct commands (docs/kafka.md): a partition whose owner another worker's reply named goes to
 * that owner's stream; refused or unanswered, the command is produced to the topic under the same
 * request, and the first answer wins.
 */
describe('KafkaCommandBus with a known remote owner', () => {
  const notHere: LocalOwner = { serves: () => false, deliver: () => Promise.reject(new Error('not called')) };
  const routesTo = (owner: string | undefined, deliver: DirectRoutes['deliver']): DirectRoutes => ({ ownerOf: () => owner, deliver });

  it.each([false, true])('sends the command to the owner and answers with its reply, producing nothing (wait %s)', async (wait) => {
    const sent: Array<[number, string, string, boolean]> = [];
    const direct = routesTo('peer:1', (p, owner, c, w) => (sent.push([p, owner, c.id, w]), Promise.resolve({ ok: true, view: 'remote' })));
    const { bus, produced, routes } = await busWith(notHere, direct);
    await expect(bus.send(cmd, wait)).resolves.toEqual({ ok: true, view: 'remote' });
    expect(sent).toEqual([[P, 'peer:1', 'c-1', wait]]);
    expect(routes).toEqual(['direct']);
    await new Promise((r) => setImmediate(r));
    expect(produced).toEqual([]);
  });

  it('produces the command when the owner refuses it, and answers with the reply through the topic', async () => {
    const { bus, hub, produced } = await busWith(notHere, routesTo('peer:1', () => Promise.resolve(errorReply('moved', NotOwner.code))));
    const answer = bus.send(cmd, false);
    await until(() => produced.length === 1);
    const decoded = decodedOf(produced[0]!);
    expect(decoded.cmd).toEqual(cmd);
    hub.deliver(decoded.address!.requestId, { ok: true, view: 'from the topic' });
    await expect(answer).resolves.toEqual({ ok: true, view: 'from the topic' });
  });

  it('produces a command the owner has not answered after 3 s, once, and takes the first answer', async () => {
    let late: (r: Reply) => void = () => undefined;
    const { bus, hub, produced } = await busWith(notHere, routesTo('peer:1', () => new Promise((r) => (late = r))));
    const answer = bus.send(cmd, false);
    await new Promise((r) => setTimeout(r, 100));
    expect(produced).toEqual([]);
    await until(() => produced.length === 1, 6000); // the follow-up, after 3 s
    const decoded = decodedOf(produced[0]!);
    expect(decoded.cmd).toEqual(cmd);
    hub.deliver(decoded.address!.requestId, { ok: true, view: 'new owner' });
    late({ ok: true, view: 'old owner, too late' });
    await expect(answer).resolves.toEqual({ ok: true, view: 'new owner' });
    await new Promise((r) => setTimeout(r, 50));
    expect(produced).toHaveLength(1);
  }, 10_000);

  it('a wait_result command the owner accepted is not produced again; its outcome is asked for', async () => {
    let outcome: (r: Reply) => void = () => undefined;
    const direct = routesTo('peer:1', (_p, _o, _c, _w, _t, accepted) => new Promise((r) => ((outcome = r), accepted?.())));
    const { bus, produced } = await busWith(notHere, direct);
    const answer = bus.send(cmd, true);
    await until(() => produced.length === 1, 6000); // the first follow-up, after 3 s
    const decoded = decodedOf(produced[0]!);
    expect(decoded.cmd).toMatchObject({ gid: cmd.gid, kind: 'awaitResult' });
    expect(decoded.address).toMatchObject({ replyTo: SELF, wait: true });
    outcome({ ok: true, view: 'outcome' });
    await expect(answer).resolves.toEqual({ ok: true, view: 'outcome' });
  }, 10_000);

  it('uses the topic while no owner is known', async () => {
    const { bus, hub, produced, routes } = await busWith(notHere, routesTo(undefined, () => Promise.reject(new Error('not called'))));
    const answer = bus.send(cmd, false);
    await until(() => produced.length === 1);
    expect(routes).toEqual(['topic']);
    hub.failAll({ ok: true });
    await expect(answer).resolves.toEqual({ ok: true });
  });
});
