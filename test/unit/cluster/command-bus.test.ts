import pino from 'pino';
import type { Kafka, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaCommandBus, type LocalOwner } from '../../../src/cluster/command-bus.js';
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

async function busWith(local: LocalOwner): Promise<{ bus: KafkaCommandBus; hub: ReplyHub; produced: ProducerRecord[] }> {
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
  bus.serveLocally(local);
  return { bus, hub, produced };
}

const cmd: Command = { id: 'c-1', gid: 'gid-local', kind: 'query' };
const P = partitionOf(cmd.gid, SETTINGS.partitions);
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
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
    const message = produced[0]!.messages[0]!;
    expect(message.partition).toBe(P);
    const decoded = decodeCommandMessage({ ...message, key: Buffer.from(String(message.key)), value: Buffer.from(String(message.value)), headers: message.headers } as never)!;
    expect(decoded.cmd).toEqual(cmd);
    expect(decoded.address).toMatchObject({ replyTo: SELF, wait });
    const fromOwner: Reply = { ok: true, view: 'from the new owner' };
    hub.deliver(decoded.address!.requestId, fromOwner);
    await expect(answer).resolves.toEqual(fromOwner);
  });

  it('uses the topic for partitions it does not serve', async () => {
    const { bus, hub, produced } = await busWith({ serves: () => false, deliver: () => Promise.reject(new Error('not called')) });
    const answer = bus.send(cmd, false);
    await until(() => produced.length === 1);
    hub.failAll({ ok: true });
    await expect(answer).resolves.toEqual({ ok: true });
  });
});
