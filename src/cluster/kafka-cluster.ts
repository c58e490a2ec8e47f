import type { Logger } from 'pino';
import type { TransTypeRegistry } from '../../machines/index.js';
import type { ResolvedConfig } from '../config/index.js';
import type { TlsReloader } from '../tls/tls-reloader.js';
import { SHUTTING_DOWN, type Command } from '../engine/command.js';
import type { Engine } from '../engine/engine.js';
import { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import { kafkaSettingsOf, type KafkaSettings } from '../log/kafka/kafka-settings.js';
import { KafkaCommandBus } from './command-bus.js';
import { PartitionOwnership, type OwnershipObserver } from './partition-ownership.js';
import { ReplyHub } from './reply-hub.js';
import { repliesService, ReplySender } from './reply-service.js';
import { CommandExchange } from './command-exchange.js';
import { internalCredentialsOf, startInternalServer } from './internal-server.js';
import { OwnerLinks } from './owner-links.js';
import { SnapshotWriter } from './snapshot-writer.js';
import { ConsumedOffsets, KafkaBatchAppender } from './consumed-offsets.js';

/**
 * The Kafka side of one worker (DESIGN §4), composed by main.ts: the event log, the internal
 * service (replies, direct commands), the command bus its ingress routes through, and (once the
 * engine exists) partition ownership. Start order: log → internal service → bus → engine →
 * ownership; stop in reverse.
 */
export class KafkaCluster {
  #ownership: PartitionOwnership | undefined;
  /** engine hook (`onCommitted`): takes the partition snapshots */
  readonly snapshots: SnapshotWriter;
  readonly #offsets = new ConsumedOffsets();
  /** the engine's appender: each partition's batch with its consumed command offsets */
  readonly appender: KafkaBatchAppender;

  private constructor(
    readonly log: KafkaEventLog,
    readonly bus: KafkaCommandBus,
    readonly settings: KafkaSettings,
    /** `host:port` of this worker's internal service */
    readonly address: string,
    private readonly hub: ReplyHub,
    private readonly sender: ReplySender,
    private readonly exchange: CommandExchange,
    private readonly links: OwnerLinks,
    private readonly stopServer: () => Promise<void>,
    private readonly logger: Logger,
    snapshotEvery: number,
  ) {
    this.snapshots = new SnapshotWriter(log, snapshotEvery, () => Date.now(), logger.child({ component: 'snapshots' }));
    this.appender = new KafkaBatchAppender(log, this.#offsets);
  }

  /** `internalTls`: `InternalTls` (TlsSettings.internal, following its files); undefined: plaintext between workers. */
  static async open(config: ResolvedConfig, logger: Logger, internalTls?: TlsReloader): Promise<KafkaCluster> {
    const hub = new ReplyHub();
    const exchange = new CommandExchange(logger.child({ component: 'direct-commands' }));
    // Without InternalAdvertise the workers reach each other on 127.0.0.1: the service (which takes
    // commands) listens there only, not on HttpHost.
    const loopback = config.InternalAdvertise === '';
    const credentials = internalCredentialsOf(internalTls);
    const host = loopback ? '127.0.0.1' : config.HttpHost;
    const server = await startInternalServer([repliesService(hub), exchange.service], host, config.InternalGrpcPort, config.Auth.Tokens, config.GrpcMaxConcurrentStreams, logger.child({ component: 'internal' }), credentials.server);
    const address = loopback ? `127.0.0.1:${server.port}` : config.InternalAdvertise;
    if (loopback && config.Store.KafkaBrokers.some((b) => !/^(127\.|localhost:|\[::1\])/.test(b))) {
      logger.warn({ address }, 'InternalAdvertise is not set: the internal service listens on 127.0.0.1 only; set INTERNAL_ADVERTISE=<host>:<port> when workers run on several hosts');
    }
    let log: KafkaEventLog | undefined;
    try {
      const settings = kafkaSettingsOf(config, `dtx-${address}`, logger);
      log = await KafkaEventLog.open({ settings, dataDir: config.Store.DataDir, logger });
      // wait_result replies come when the transaction ends: allow the branch calls' time on top
      const replyTimeoutMs = config.Store.KafkaReplyTimeout * 1000;
      const waitTimeoutMs = replyTimeoutMs + (config.RequestTimeout + 2) * 1000;
      const bus = await KafkaCommandBus.open(log.kafka, log.settings, address, hub, { replyTimeoutMs, waitTimeoutMs }, logger);
      const token = config.Auth.Tokens[0];
      const sender = new ReplySender(address, hub, logger.child({ component: 'replies' }), token, credentials.peers);
      const links = new OwnerLinks(address, logger.child({ component: 'direct-commands' }), token, credentials.peers);
      hub.observeOwners((p, owner) => links.learn(p, owner));
      return new KafkaCluster(log, bus, log.settings, address, hub, sender, exchange, links, server.stop, logger, config.Store.SnapshotEvery);
    } catch (err) {
      await log?.close().catch(() => undefined);
      await server.stop();
      throw err;
    }
  }

  /** Reports a partition whose writes the log refused (wired into the engine's `onPartitionLost`). */
  lost(p: number, fenced: boolean): void {
    this.#ownership?.lost(p, fenced);
  }

  /** Joins the worker group: from now on partitions are assigned, taken over and processed. */
  async join(engine: Engine, registry: TransTypeRegistry, observer?: OwnershipObserver): Promise<void> {
    const ownership = new PartitionOwnership(this.log.kafka, this.settings, this.log, engine, registry, this.sender, this.snapshots, this.#offsets, this.logger.child({ component: 'ownership' }), observer);
    this.#ownership = ownership;
    const local = { serves: (p: number) => ownership.serves(p), deliver: (p: number, cmd: Command, wait: boolean, accepted?: () => void) => engine.deliver(p, cmd, wait, accepted) };
    this.exchange.serve(local, this.settings.partitions);
    this.bus.route({ local, direct: this.links, ...(observer?.routed ? { routed: observer.routed } : {}) });
    await ownership.start();
  }

  async stop(): Promise<void> {
    this.bus.route({});
    this.exchange.serve(undefined, 0);
    await this.#ownership?.stop().catch((err: unknown) => this.logger.warn({ err }, 'leaving the worker group failed'));
    await this.bus.close().catch(() => undefined);
    this.links.close();
    this.sender.close();
    this.exchange.closeAll();
    await this.stopServer();
    this.hub.failAll(SHUTTING_DOWN);
    await this.log.close();
  }
}
