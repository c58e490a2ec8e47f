/**
 * `dtx.internal.Replies/Deliver` (proto/internal.proto): the owner of a partition sends the replies
 * of the commands it decided from the commands topic to the worker whose ingress is waiting, with
 * its own address, from which that ingress learns where to send the partition's next commands
 * (docs/kafka.md "Direct commands"). Ack is empty.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Reply } from '../engine/command.js';
import type { AddressedReply } from './command-codec.js';
import type { ReplyHub } from './reply-hub.js';
import { TurnBatch } from './turn-batch.js';
import { boundedText, DELIVER, INTERNAL_CHANNEL_OPTIONS, internalMetadata, jsonArrayOf, REPLIES, type InternalService, type ReplyBatch } from './internal-server.js';

/** Replies one batch may hold, and the longest request id (ids are short base-36 counters). */
const MAX_REPLIES = 100_000;
export const MAX_REQUEST_ID = 64;

/** The replies of a batch; throws naming the first entry that is not one (a peer of another version). */
export function repliesOf(json: Buffer): AddressedReply[] {
  return jsonArrayOf(json, MAX_REPLIES).map(addressedReplyOf);
}

/** Entry `i` of a batch as a reply; throws naming it when it is not `{requestId, reply}`. */
export function addressedReplyOf(entry: unknown, i: number): AddressedReply {
  const e = entry as { requestId?: unknown; reply?: unknown } | null;
  const requestId = boundedText(e?.requestId, MAX_REQUEST_ID);
  if (requestId === undefined || !isReply(e?.reply)) throw new TypeError(`entry ${i} is not {requestId, reply}`);
  return { requestId, reply: e.reply };
}

/** The shape every reader of a Reply relies on: an object with a boolean `ok`. */
export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

/** Serves replies for this worker's waiting requests. */
export function repliesService(hub: ReplyHub): InternalService {
  return {
    definition: REPLIES as grpc.ServiceDefinition,
    implementation: {
      Deliver: (call: grpc.ServerUnaryCall<ReplyBatch, unknown>, done: grpc.sendUnaryData<Record<string, never>>) => {
        let replies: AddressedReply[];
        try {
          replies = repliesOf(call.request.json);
        } catch (err) {
          done({ code: grpc.status.INVALID_ARGUMENT, details: `bad ReplyBatch: ${(err as Error).message}` });
          return;
        }
        const owner = boundedText(call.request.owner, 255);
        for (const r of replies) hub.deliver(r.requestId, r.reply, owner);
        done(null, {});
      },
    },
  };
}

/**
 * Workers a sender keeps a gRPC client for. Workers restarted on new ports (`INTERNAL_GRPC_PORT=0`)
 * are new addresses: beyond this many the least recently used client is closed.
 */
export const MAX_REPLY_PEERS = 64;

/**
 * The owner side: replies for one address sent within one event-loop turn travel as one batch;
 * replies for this worker itself are handed to its hub in-process. A client whose delivery finds
 * nothing listening (UNAVAILABLE: the worker is gone) is closed and forgotten, and at most
 * MAX_REPLY_PEERS are kept, so a long-lived worker does not collect one per peer it ever served.
 */
export class ReplySender {
  readonly #clients = new Map<string, grpc.Client>();
  readonly #batches = new Map<string, TurnBatch<AddressedReply>>();

  readonly #metadata: grpc.Metadata;

  /** `token`: sent to the other workers (the first of `Auth.Tokens`; undefined: none). */
  constructor(
    private readonly self: string,
    private readonly hub: ReplyHub,
    private readonly logger: Logger,
    token?: string,
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    this.#metadata = internalMetadata(token);
  }

  send(address: string, reply: AddressedReply): void {
    if (address === this.self) {
      this.hub.deliver(reply.requestId, reply.reply);
      return;
    }
    let batch = this.#batches.get(address);
    if (batch === undefined) this.#batches.set(address, (batch = new TurnBatch((replies) => this.#deliver(address, replies))));
    batch.push(reply);
  }

  /** Addresses it holds a client for (metrics, tests). */
  get peers(): number {
    return this.#clients.size;
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
    this.#batches.clear();
  }

  #deliver(address: string, replies: AddressedReply[]): void {
    const client = this.#clientFor(address);
    const deadline = new Date(Date.now() + 5000);
    const batch: ReplyBatch = { json: Buffer.from(JSON.stringify(replies), 'utf8'), owner: this.self };
    client.makeUnaryRequest(DELIVER.path, DELIVER.requestSerialize, DELIVER.responseDeserialize, batch, this.#metadata, { deadline }, (err) => {
      if (err === null) return;
      // The ingress times the request out with a retryable 503; the decision itself is durable.
      this.logger.warn({ err: err.message, address, replies: replies.length }, 'reply delivery failed');
      if (err.code === grpc.status.UNAVAILABLE) this.#forget(address, client);
    });
  }

  /** The address's client, most recently used last; the least recently used beyond the cap is closed. */
  #clientFor(address: string): grpc.Client {
    let client = this.#clients.get(address);
    if (client !== undefined) this.#clients.delete(address);
    else client = new grpc.Client(address, this.credentials, INTERNAL_CHANNEL_OPTIONS);
    this.#clients.set(address, client);
    if (this.#clients.size > MAX_REPLY_PEERS) {
      const [oldest] = this.#clients.keys();
      this.#forget(oldest!, this.#clients.get(oldest!)!);
    }
    return client;
  }

  #forget(address: string, client: grpc.Client): void {
    if (this.#clients.get(address) !== client) return; // replaced meanwhile
    this.#clients.delete(address);
    this.#batches.delete(address);
    client.close();
  }
}
