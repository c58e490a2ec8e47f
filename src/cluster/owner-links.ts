/**
 * Direct commands, the ingress side (docs/kafka.md "Direct commands"): which worker owns which
 * partition, as learned from the replies of commands sent through the topic, and one
 * `Commands/Exchange` stream per such worker. A command sent on a stream is answered on it; when
 * the owner refuses it, the stream breaks or no answer comes in time, the answer is DTX_NOT_OWNER
 * and the route is forgotten, so the caller sends the command through the topic (command ids make
 * a second delivery harmless).
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { errorReply, type Command, type Reply } from '../engine/command.js';
import { NotOwner } from '../errors.js';
import type { DirectCommand } from './command-codec.js';
import { EXCHANGE, internalMetadata, type CommandBatch, type ReplyBatch } from './internal-server.js';
import { exchangeAnswersOf, type ExchangeAnswer } from './command-exchange.js';
import { TurnBatch } from './turn-batch.js';
import { chunksBySize, SEND_CHUNK_BYTES } from '../log/kafka/message-chunks.js';
import { INTERNAL_CHANNEL_OPTIONS } from './internal-server.js';

export class OwnerLinks {
  readonly #owners = new Map<number, string>();
  readonly #links = new Map<string, Link>();
  readonly #metadata: grpc.Metadata;

  /** `token`: sent to the owners (the first of `Auth.Tokens`; undefined: none); `credentials`: plaintext unless `InternalTls`. */
  constructor(
    private readonly self: string,
    private readonly logger: Logger,
    token?: string,
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    this.#metadata = internalMetadata(token);
  }

  /** `owner` decided a command of `p`: send `p`'s next commands to it. */
  learn(p: number, owner: string): void {
    if (owner !== this.self) this.#owners.set(p, owner);
  }

  ownerOf(p: number): string | undefined {
    return this.#owners.get(p);
  }

  /**
   * `cmd` of partition `p` to `owner`: its reply, or DTX_NOT_OWNER (route forgotten) as above.
   * `accepted`: for a `wait` command, called when the owner says it is durable and waits.
   */
  async deliver(p: number, owner: string, cmd: Command, wait: boolean, timeoutMs: number, accepted?: () => void): Promise<Reply> {
    let link = this.#links.get(owner);
    if (link === undefined) {
      const opened = new Link(owner, this.#metadata, this.credentials, () => this.#links.delete(owner), this.logger);
      this.#links.set(owner, opened);
      link = opened;
    }
    const reply = await link.send(cmd, wait, timeoutMs, accepted);
    if (!reply.ok && reply.code === NotOwner.code && this.#owners.get(p) === owner) this.#owners.delete(p);
    return reply;
  }

  close(): void {
    for (const link of [...this.#links.values()]) link.close('the worker is stopping');
    this.#owners.clear();
  }
}

/** One stream to one owner; commands sent within one event-loop turn travel as one batch. */
class Link {
  readonly #client: grpc.Client;
  readonly #stream: grpc.ClientDuplexStream<CommandBatch, ReplyBatch>;
  readonly #pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout; accepted: (() => void) | undefined }>();
  readonly #batch = new TurnBatch<DirectCommand>((commands) => {
    if (this.#closed) return;
    // a turn's commands in messages of about SEND_CHUNK_BYTES: one of large commands passed the owner's limit
    for (const run of chunksBySize(commands.map((c) => JSON.stringify(c)), (json) => json.length, SEND_CHUNK_BYTES)) {
      this.#stream.write({ json: Buffer.from(`[${run.join(',')}]`, 'utf8') });
    }
  });
  #next = 0;
  #closed = false;

  constructor(
    private readonly address: string,
    metadata: grpc.Metadata,
    credentials: grpc.ChannelCredentials,
    private readonly onClosed: () => void,
    private readonly logger: Logger,
  ) {
    this.#client = new grpc.Client(address, credentials, INTERNAL_CHANNEL_OPTIONS);
    this.#stream = this.#client.makeBidiStreamRequest(EXCHANGE.path, EXCHANGE.requestSerialize, EXCHANGE.responseDeserialize, metadata);
    this.#stream.on('data', (batch: ReplyBatch) => this.#answer(batch));
    this.#stream.on('error', (err: Error) => this.close(err.message));
    this.#stream.on('end', () => this.close('the owner ended the stream'));
  }

  send(command: Command, wait: boolean, timeoutMs: number, accepted?: () => void): Promise<Reply> {
    if (this.#closed) return Promise.resolve(unreachable(this.address, 'the stream is closed'));
    this.#next += 1;
    const requestId = this.#next.toString(36);
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => this.#settle(requestId, unreachable(this.address, `no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      timer.unref();
      this.#pending.set(requestId, { resolve, timer, accepted });
      this.#batch.push({ requestId, wait, command });
    });
  }

  close(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClosed();
    if (this.#pending.size > 0) this.logger.warn({ owner: this.address, pending: this.#pending.size, why }, 'direct command stream closed; its commands go through the topic');
    for (const id of [...this.#pending.keys()]) this.#settle(id, unreachable(this.address, why));
    this.#stream.cancel();
    this.#client.close();
  }

  #answer(batch: ReplyBatch): void {
    let answers: ExchangeAnswer[];
    try {
      answers = exchangeAnswersOf(batch.json);
    } catch (err) {
      this.close(`bad ReplyBatch: ${(err as Error).message}`);
      return;
    }
    for (const a of answers) {
      if ('reply' in a) this.#settle(a.requestId, a.reply);
      else this.#pending.get(a.requestId)?.accepted?.();
    }
  }

  #settle(requestId: string, reply: Reply): void {
    const p = this.#pending.get(requestId);
    if (p === undefined) return;
    this.#pending.delete(requestId);
    clearTimeout(p.timer);
    p.resolve(reply);
  }
}

function unreachable(owner: string, why: string): Reply {
  return errorReply(`direct command to ${owner} not answered (${why})`, NotOwner.code);
}
