import type { KafkaMessage, Message } from 'kafkajs';
import type { Command, Reply } from '../engine/command.js';

/** Headers of a command record: where the owner sends the reply, and the ingress's request id. */
export interface ReplyAddress {
  /** `host:port` of the ingress worker's internal service */
  readonly replyTo: string;
  readonly requestId: string;
  /** the ingress waits for the transaction's outcome (submit with wait_result) */
  readonly wait: boolean;
}

/** A command as a record of `<prefix>.commands` (DESIGN §4): key = gid, value = the command JSON. */
export function encodeCommandMessage(cmd: Command, address: ReplyAddress): Message {
  return {
    key: cmd.gid,
    value: JSON.stringify(cmd),
    headers: { 'reply-to': address.replyTo, 'request-id': address.requestId, wait: address.wait ? '1' : '0' },
  };
}

/** Decodes a command record; undefined (to be skipped and logged) when it is not one of ours. */
export function decodeCommandMessage(m: KafkaMessage): { cmd: Command; address: ReplyAddress | undefined } | undefined {
  if (m.value === null) return undefined;
  let cmd: unknown;
  try {
    cmd = JSON.parse(m.value.toString('utf8'));
  } catch {
    return undefined;
  }
  const c = commandOf(cmd);
  if (c === undefined) return undefined;
  const replyTo = headerText(m, 'reply-to');
  const requestId = headerText(m, 'request-id');
  const address = replyTo !== undefined && requestId !== undefined ? { replyTo, requestId, wait: headerText(m, 'wait') === '1' } : undefined;
  return { cmd: c, address };
}

/**
 * `value` as a command when it has the shape the engine relies on, else undefined. Commands come
 * from dtx ingresses (which validated them), through the topic or a peer's stream; this guards
 * against records of another version or another producer.
 */
export function commandOf(value: unknown): Command | undefined {
  const c = value as Partial<Command> | null;
  if (c === null || typeof c !== 'object' || typeof c.id !== 'string' || typeof c.gid !== 'string' || !isWellFormed(c)) return undefined;
  return c as Command;
}

/** Kind-specific fields the engine reads without further checks (ingress validated them). */
function isWellFormed(c: Partial<Command>): boolean {
  const o = c as Record<string, unknown>;
  switch (c.kind) {
    case 'prepare':
    case 'prepareWorkflow':
    case 'submit':
      return typeof o['spec'] === 'object' && o['spec'] !== null && typeof (o['spec'] as { transType?: unknown }).transType === 'string';
    case 'abort':
      return typeof o['requestType'] === 'string' && typeof o['reason'] === 'string';
    case 'registerBranch': {
      const r = o['registration'] as Record<string, unknown> | null | undefined;
      return typeof r === 'object' && r !== null && typeof r['branchId'] === 'string' && typeof r['requestType'] === 'string' && typeof r['payload'] === 'string' && typeof r['fields'] === 'object' && r['fields'] !== null;
    }
    case 'branchResult':
      return typeof o['branchId'] === 'string' && typeof o['op'] === 'string' && typeof o['attempt'] === 'number' && typeof o['result'] === 'string';
    case 'topic': {
      const ch = o['change'] as { op?: unknown; url?: unknown; remark?: unknown } | null | undefined;
      if (typeof ch !== 'object' || ch === null) return false;
      if (ch.op === 'delete') return true;
      return (ch.op === 'subscribe' || ch.op === 'unsubscribe') && typeof ch.url === 'string' && (ch.op === 'unsubscribe' || typeof ch.remark === 'string');
    }
    case 'forceStop':
    case 'resetNextCronTime':
    case 'cronFired':
    case 'query':
      return true;
    case 'awaitResult':
      return o['call'] === undefined || o['call'] === 'abort';
    default:
      return false;
  }
}

function headerText(m: KafkaMessage, name: string): string | undefined {
  const v = m.headers?.[name];
  if (v === undefined) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** One reply on the internal service. */
export interface AddressedReply {
  readonly requestId: string;
  readonly reply: Reply;
}

/** One command of a `dtx.internal.CommandBatch` (proto/internal.proto). */
export interface DirectCommand {
  readonly requestId: string;
  readonly wait: boolean;
  readonly command: Command;
}
