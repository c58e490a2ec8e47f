import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Command, Reply } from '../engine/command.js';
import { errorReply } from '../engine/command.js';
import type { CommandBus } from '../engine/command.js';
import { newCommandId } from '../engine/command-id.js';
import { partitionOf } from '../log/gid-partitioner.js';
import { LogUnavailable, NotOwner } from '../errors.js';
import { withKafkaRetry } from '../log/kafka/kafka-retry.js';
import { chunksByBytes } from '../log/kafka/message-chunks.js';
import { topicsOf, type KafkaSettings } from '../log/kafka/kafka-settings.js';
import { encodeCommandMessage } from './command-codec.js';
import type { ReplyHub } from './reply-hub.js';
import { TurnBatch } from './turn-batch.js';

/** How often a wait_result request asks the partition's current owner again for the outcome. */
const FOLLOW_UP_MS = 3000;

/**
 * The partitions this worker owns and serves right now (takeover finished), and their engine.
 * Set once the worker joined the group; until then every command goes through the topic.
 */
export interface LocalOwner {
  serves(p: number): boolean;
  /** `accepted`: for a `wait` command, called once it is durable and waits for the outcome */
  deliver(p: number, cmd: Command, wait: boolean, accepted?: () => void): Promise<Reply>;
}

/** Where a command went: decided here, sent to its partition's owner, or through the topic. */
export type CommandRoute = 'local' | 'direct' | 'topic';

/** The owners other workers' replies named, and a stream to each (owner-links.ts). */
export interface DirectRoutes {
  ownerOf(p: number): string | undefined;
  /** `accepted`: as LocalOwner's, told by the owner */
  deliver(p: number, owner: string, cmd: Command, wait: boolean, timeoutMs: number, accepted?: () => void): Promise<Reply>;
}

/** How `send` routes: each part is optional (none: every command through the topic). */
export interface Routing {
  readonly local?: LocalOwner;
  readonly direct?: DirectRoutes;
  /** told of each command's first route (metrics) */
  readonly routed?: (route: CommandRoute) => void;
}

export interface CommandBusOptions {
  /** how long a command waits for its owner's reply */
  readonly replyTimeoutMs: number;
  /** the same for submit with wait_result (the reply comes when the transaction ends) */
  readonly waitTimeoutMs: number;
}

/**
 * Ingress on any worker (DESIGN §4): produces each command to `<prefix>.commands`, keyed by gid,
 * with this worker's reply address, and waits for the owner's reply. Commands produced within one
 * event-loop turn go out as one produce request.
 *
 * A command whose partition this worker serves itself skips the topic: it goes straight to the
 * local partition processor (no produce, no fetch, no offset commit in its Kafka transaction;
 * docs/kafka.md "Local commands"). It is as durable as any: its reply comes after the Kafka
 * transaction holding its events committed on the partition's fenced producer. When that write is
 * refused (fenced, or the partition moved meanwhile) the command is produced to the topic after
 * all, for the partition's new owner, which applies it once (command ids are remembered).
 *
 * A command whose partition another worker was last seen to own (its replies name it) goes to that
 * worker directly (docs/kafka.md "Direct commands"), which decides it like a local one. Refused,
 * unanswered within FOLLOW_UP_MS, or lost with the stream, it is produced to the topic too.
 */
export class KafkaCommandBus implements CommandBus {
  readonly #topic: string;
  readonly #batch = new TurnBatch<{ message: Message; requestId: string }>((batch) => void this.#send(batch));
  #routing: Routing = {};

  private constructor(
    private readonly producer: Producer,
    private readonly settings: KafkaSettings,
    private readonly self: string,
    private readonly hub: ReplyHub,
    private readonly options: CommandBusOptions,
    private readonly logger: Logger,
  ) {
    this.#topic = topicsOf(settings.prefix).commands;
  }

  static async open(kafka: Kafka, settings: KafkaSettings, self: string, hub: ReplyHub, options: CommandBusOptions, logger: Logger): Promise<KafkaCommandBus> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER },
    });
    const log = logger.child({ component: 'command-bus' });
    await withKafkaRetry('command producer connect', () => producer.connect(), { logger: log });
    return new KafkaCommandBus(producer, settings, self, hub, options, log);
  }

  /** From now on, commands are routed by `routing` (see the class comment). */
  route(routing: Routing): void {
    this.#routing = routing;
  }

  send(cmd: Command, wait: boolean): Promise<Reply> {
    const partition = partitionOf(cmd.gid, this.settings.partitions);
    const { local, direct, routed } = this.#routing;
    if (local?.serves(partition) === true) {
      routed?.('local');
      const decided = local.deliver(partition, cmd, wait);
      if (!wait) return this.#inTime(decided, partition).then((r) => (isNotOwner(r) ? this.#viaTopic(cmd, wait, partition) : r));
      // wait_result: the outcome may come after the partition moved; then the new owner answers
      // (the command produced to it, and the follow-ups of #viaTopic's request).
      return this.#viaTopic(cmd, wait, partition, decided);
    }
    const owner = direct?.ownerOf(partition);
    if (direct === undefined || owner === undefined) {
      routed?.('topic');
      return this.#viaTopic(cmd, wait, partition);
    }
    routed?.('direct');
    const timeoutMs = wait ? this.options.waitTimeoutMs : this.options.replyTimeoutMs;
    const remote = { accepted: false };
    return this.#viaTopic(cmd, wait, partition, direct.deliver(partition, owner, cmd, wait, timeoutMs, () => (remote.accepted = true)), remote);
  }

  /**
   * The command through the topic and the owner's reply, or (`decided` given) the decision made
   * here or by the owner it was sent to (`remote`), unless that was refused: then the command goes
   * to the topic. A remote owner may die or freeze before deciding, and nothing else holds the
   * command: unanswered after FOLLOW_UP_MS, and not accepted (a `wait` command the owner made
   * durable, whose outcome is pending), it is produced to the topic as well.
   */
  #viaTopic(cmd: Command, wait: boolean, partition: number, decided?: Promise<Reply>, remote?: { readonly accepted: boolean }): Promise<Reply> {
    const requestId = this.hub.newRequestId();
    const reply = this.hub.expect(requestId, wait ? this.options.waitTimeoutMs : this.options.replyTimeoutMs, partition);
    let produced = false;
    const produce = () => {
      if (produced) return;
      produced = true;
      this.#produce(cmd, requestId, wait, partition);
    };
    if (decided === undefined) produce();
    else void decided.then((r) => (isNotOwner(r) ? produce() : this.hub.deliver(requestId, r)));
    if (wait || remote !== undefined) {
      // wait_result: the owner that accepted the submit may die before the outcome: ask whoever
      // owns the partition now, under the same request id (the first answer wins, later ones are
      // dropped).
      const awaited: Command = { id: '', gid: cmd.gid, kind: 'awaitResult', ...(cmd.kind === 'abort' ? { call: 'abort' as const } : {}) };
      const followUp = setInterval(() => {
        if (remote !== undefined && !remote.accepted && !produced) produce();
        else if (wait) this.#produce({ ...awaited, id: newCommandId('await') }, requestId, true, partition);
      }, FOLLOW_UP_MS);
      followUp.unref();
      void reply.finally(() => clearInterval(followUp));
    }
    return reply;
  }

  /**
   * A local decision, or after `replyTimeoutMs` a retryable 503: the partition's writes wait for the
   * brokers without a bound (its producer retries a send for ever, as idempotence needs), so with
   * every broker away the decision would never come and the client would wait as long. The command
   * may still be written once they are back; a client that sends it again gets it applied once
   * (a repeated submit of the same body answers SUCCESS).
   */
  #inTime(decided: Promise<Reply>, partition: number): Promise<Reply> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Reply>((resolve) => {
      const s = this.options.replyTimeoutMs / 1000;
      const message = `partition ${partition}: the Kafka write holding this command did not complete within ${s} s (Store.KafkaReplyTimeout); the brokers may be away. It may still be applied: send it again`;
      timer = setTimeout(() => resolve(errorReply(message, LogUnavailable.code)), this.options.replyTimeoutMs);
    });
    return Promise.race([decided, late]).finally(() => clearTimeout(timer));
  }

  #produce(cmd: Command, requestId: string, wait: boolean, partition: number): void {
    this.#batch.push({ message: { ...encodeCommandMessage(cmd, { replyTo: this.self, requestId, wait }), partition }, requestId });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  async #send(batch: Array<{ message: Message; requestId: string }>): Promise<void> {
    try {
      // kafkajs retries a send on retriable answers; what it gives up on is sent again here, a few
      // times (the ingress answers 503 after its reply timeout anyway). A command produced twice is
      // applied once: the owner remembers command ids.
      // in chunks: the broker checks a partition's record batch against max.message.bytes as a whole
      for (const messages of chunksByBytes(batch.map((b) => b.message))) {
        await withKafkaRetry('command produce', () => this.producer.send({ topic: this.#topic, messages, acks: -1 }), { logger: this.logger, attempts: 5 });
      }
    } catch (err) {
      const e = new LogUnavailable(`could not produce to ${this.#topic}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      this.logger.error({ err: e, commands: batch.length }, 'command produce failed');
      this.hub.failAll(errorReply(e.message, LogUnavailable.code), batch.map((b) => b.requestId));
    }
  }
}

function isNotOwner(r: Reply): boolean {
  return !r.ok && r.code === NotOwner.code;
}
