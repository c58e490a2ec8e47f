import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AddressedReply } from './command-codec.js';
import type { ReplyHub } from './reply-hub.js';

/**
 * `dtx.internal.Replies/Deliver` (proto/internal.proto), encoded by hand: a ReplyBatch is one
 * length-delimited field 1 (tag 0x0a) holding JSON; Ack is empty.
 */
function encodeBatch(replies: readonly AddressedReply[]): Buffer {
  const json = Buffer.from(JSON.stringify(replies), 'utf8');
  const len: number[] = [];
  for (let n = json.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), json]);
}

function decodeBatch(buf: Buffer): AddressedReply[] {
  if (buf.length === 0) return [];
  if (buf[0] !== 0x0a) throw new Error('ReplyBatch: expected field 1 (bytes)');
  let len = 0;
  let shift = 0;
  let i = 1;
  for (; i < buf.length; i += 1) {
    const b = buf[i]!;
    len += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  return JSON.parse(buf.subarray(i + 1, i + 1 + len).toString('utf8')) as AddressedReply[];
}

const REPLIES_SERVICE = {
  deliver: {
    path: '/dtx.internal.Replies/Deliver',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeBatch,
    requestDeserialize: decodeBatch,
    responseSerialize: (): Buffer => Buffer.alloc(0),
    responseDeserialize: (): Record<string, never> => ({}),
  },
} as const;

const RepliesClient = grpc.makeGenericClientConstructor(REPLIES_SERVICE as unknown as grpc.ServiceDefinition, 'Replies');

/** Serves replies for this worker's waiting requests. Resolves with the bound port. */
export async function startReplyServer(hub: ReplyHub, host: string, port: number, logger: Logger): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(REPLIES_SERVICE as unknown as grpc.ServiceDefinition, {
    deliver: (call: grpc.ServerUnaryCall<AddressedReply[], unknown>, done: grpc.sendUnaryData<Record<string, never>>) => {
      for (const r of call.request) hub.deliver(r.requestId, r.reply);
      done(null, {});
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  logger.info({ port: bound }, 'internal reply service listening');
  return {
    port: bound,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/**
 * The owner side: replies for one address sent within one event-loop turn travel as one batch;
 * replies for this worker itself are handed to its hub in-process.
 */
export class ReplySender {
  readonly #clients = new Map<string, grpc.Client>();
  readonly #pending = new Map<string, AddressedReply[]>();
  #scheduled = false;

  constructor(
    private readonly self: string,
    private readonly hub: ReplyHub,
    private readonly logger: Logger,
  ) {}

  send(address: string, reply: AddressedReply): void {
    if (address === this.self) {
      this.hub.deliver(reply.requestId, reply.reply);
      return;
    }
    const list = this.#pending.get(address);
    if (list === undefined) this.#pending.set(address, [reply]);
    else list.push(reply);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }

  #flush(): void {
    this.#scheduled = false;
    for (const [address, replies] of this.#pending) {
      let client = this.#clients.get(address);
      if (client === undefined) {
        client = new RepliesClient(address, grpc.credentials.createInsecure());
        this.#clients.set(address, client);
      }
      const deadline = new Date(Date.now() + 5000);
      client.makeUnaryRequest(REPLIES_SERVICE.deliver.path, encodeBatch, () => ({}), replies, { deadline }, (err) => {
        // The ingress times the request out with a retryable 503; the decision itself is durable.
        if (err) this.logger.warn({ err: err.message, address, replies: replies.length }, 'reply delivery failed');
      });
    }
    this.#pending.clear();
  }
}
