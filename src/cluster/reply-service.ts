/**
 * `dtx.internal.Replies/Deliver` (proto/internal.proto, loaded with proto-loader): the owner of a
 * partition sends the replies of the commands it decided to the worker whose ingress is waiting.
 * Wire: ReplyBatch = field 1 (bytes) holding UTF-8 JSON of AddressedReply[]; Ack is empty.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AddressedReply } from './command-codec.js';
import type { ReplyHub } from './reply-hub.js';
import { loadProtoFiles, methodOf, serviceOf } from '../protocol/proto-files.js';

/** `{ json }` of `dtx.internal.ReplyBatch` (proto/internal.proto): UTF-8 JSON of AddressedReply[]. */
interface ReplyBatch {
  readonly json: Buffer;
}

const REPLIES = serviceOf(loadProtoFiles(['internal.proto']), 'dtx.internal.Replies');
const DELIVER = methodOf<ReplyBatch, Record<string, never>>(REPLIES, 'Deliver');

/** Throws on a batch that is not a JSON array (a peer speaking another version). */
function repliesOf(batch: ReplyBatch): AddressedReply[] {
  const replies: unknown = JSON.parse(batch.json.toString('utf8'));
  if (!Array.isArray(replies)) throw new TypeError('ReplyBatch.json is not a JSON array');
  return replies as AddressedReply[];
}

/** Serves replies for this worker's waiting requests. Resolves with the bound port. */
export async function startReplyServer(hub: ReplyHub, host: string, port: number, logger: Logger): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(REPLIES as grpc.ServiceDefinition, {
    Deliver: (call: grpc.ServerUnaryCall<ReplyBatch, unknown>, done: grpc.sendUnaryData<Record<string, never>>) => {
      let replies: AddressedReply[];
      try {
        replies = repliesOf(call.request);
      } catch (err) {
        done({ code: grpc.status.INVALID_ARGUMENT, details: `bad ReplyBatch: ${(err as Error).message}` });
        return;
      }
      for (const r of replies) hub.deliver(r.requestId, r.reply);
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
        client = new grpc.Client(address, grpc.credentials.createInsecure());
        this.#clients.set(address, client);
      }
      const deadline = new Date(Date.now() + 5000);
      const batch: ReplyBatch = { json: Buffer.from(JSON.stringify(replies), 'utf8') };
      client.makeUnaryRequest(DELIVER.path, DELIVER.requestSerialize, DELIVER.responseDeserialize, batch, { deadline }, (err) => {
        // The ingress times the request out with a retryable 503; the decision itself is durable.
        if (err) this.logger.warn({ err: err.message, address, replies: replies.length }, 'reply delivery failed');
      });
    }
    this.#pending.clear();
  }
}
