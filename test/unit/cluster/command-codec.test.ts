import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { decodeCommandMessage, encodeCommandMessage } from '../../../src/cluster/command-codec.js';
import type { Command } from '../../../src/engine/command.js';

/** A record as a consumer sees it (values and headers are Buffers). */
function asConsumed(value: string | null, headers: Record<string, string> = {}): KafkaMessage {
  return {
    key: Buffer.from('g'),
    value: value === null ? null : Buffer.from(value),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: '0',
    attributes: 0,
    offset: '0',
  } as unknown as KafkaMessage;
}

const address = { replyTo: '127.0.0.1:1', requestId: '7', wait: true };

describe('command records', () => {
  const commands: Command[] = [
    { id: 'c1', gid: 'g', kind: 'submit', spec: { transType: 'saga' } as never },
    { id: 'c2', gid: 'g', kind: 'abort', requestType: 'msg', reason: 'r' },
    { id: 'c3', gid: 'g', kind: 'query' },
    { id: 'c4', gid: 'g', kind: 'branchResult', branchId: '01', op: 'action', attempt: 2, result: 'SUCCESS', message: '' },
    { id: 'c5', gid: 'g', kind: 'registerBranch', registration: { requestType: 'tcc', branchId: '01', fields: { confirm: 'http://b/c' }, payload: 'e30=' } },
    { id: 'c6', gid: 'g', kind: 'topic', change: { op: 'subscribe', url: 'http://b/x', remark: 'r' } },
    { id: 'c7', gid: 'g', kind: 'topic', change: { op: 'unsubscribe', url: 'http://b/x' } },
    { id: 'c8', gid: 'g', kind: 'topic', change: { op: 'delete' } },
    { id: 'c9', gid: 'g', kind: 'prepareWorkflow', spec: { transType: 'workflow' } as never },
    { id: 'c10', gid: 'g', kind: 'awaitResult', call: 'abort' },
  ];
  it.each(commands)('round-trips $kind with its reply address', (cmd) => {
    const m = encodeCommandMessage(cmd, address);
    expect(m.key).toBe('g');
    const decoded = decodeCommandMessage(asConsumed(String(m.value), m.headers as Record<string, string>));
    expect(decoded).toEqual({ cmd, address });
  });

  it.each([
    ['not JSON', '{'],
    ['a tombstone', null],
    ['an unknown kind', JSON.stringify({ id: 'x', gid: 'g', kind: 'explode' })],
    ['a submit without spec', JSON.stringify({ id: 'x', gid: 'g', kind: 'submit' })],
    ['a topic change without op', JSON.stringify({ id: 'x', gid: 'g', kind: 'topic', change: { url: 'u' } })],
    ['a subscribe without url', JSON.stringify({ id: 'x', gid: 'g', kind: 'topic', change: { op: 'subscribe', remark: '' } })],
    ['an abort without reason', JSON.stringify({ id: 'x', gid: 'g', kind: 'abort', requestType: 'saga' })],
    ['no id', JSON.stringify({ gid: 'g', kind: 'query' })],
    ['a registerBranch without fields', JSON.stringify({ id: 'x', gid: 'g', kind: 'registerBranch', registration: { requestType: 'tcc', branchId: '01', payload: '' } })],
  ])('skips %s instead of handing it to the engine', (_name, value) => {
    expect(decodeCommandMessage(asConsumed(value))).toBeUndefined();
  });

  it('has no reply address when the headers are missing', () => {
    expect(decodeCommandMessage(asConsumed(JSON.stringify(commands[2])))).toEqual({ cmd: commands[2], address: undefined });
  });
});
