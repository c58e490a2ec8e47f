import client, { type Registry } from 'prom-client';

export interface MetricsOptions {
  /** Unfinished transactions in memory (the `dtx_live_transactions` gauge, read on scrape). */
  readonly liveCount: () => number;
  /** Request bytes of open transactions (`dtx_open_payload_bytes`, read on scrape). */
  readonly openBytes?: () => number;
  /** `HttpMaxBodyBytesInFlight`: bytes reserved by bodies and messages being read, and gRPC calls waiting for it (read on scrape). */
  readonly readBudget?: { readonly held: number; readonly waiting: number };
  /** Store.Driver kafka: the partition and consumer families are exported (else they would sit idle at 0). */
  readonly kafka?: boolean;
  /** Kafka: whether this worker's replica stores what it copies (read on scrape). */
  readonly replicaStore?: () => { readonly failing: boolean; readonly failures: number };
  /** The certificates of the TLS settings (Tls, Invoker.GrpcTls, InternalTls): each one's expiry, epoch seconds (read on scrape). */
  readonly tlsExpiry?: () => ReadonlyArray<{ readonly setting: string; readonly seconds: number }>;
  /** The embedded log: bytes of its WAL file (`dtx_log_wal_bytes`, read on scrape). */
  readonly walBytes?: () => number;
  /** Store.PruneFinishedAfter is on: `dtx_pruned_transactions_total` is exported. */
  readonly pruning?: boolean;
  /** Labels of `dtm_server_info`. */
  readonly info?: { readonly version: string; readonly grpcVersion: string };
}

/**
 * Prometheus metrics on `/api/metrics`: dtm's names (spec §13) plus engine metrics (docs/metrics.md).
 * Process metrics (CPU, memory, event loop) come from prom-client's defaults, as dtm exposes Go's.
 */
export class Metrics {
  readonly registry: Registry = new client.Registry();
  readonly serverProcess = new client.Counter({ name: 'dtm_server_process_total', help: 'All request received by dtm', labelNames: ['type', 'api', 'status'], registers: [this.registry] });
  readonly responseDuration = new client.Histogram({ name: 'dtm_server_response_duration', help: 'The request durations of a dtm server api', labelNames: ['type', 'api'], registers: [this.registry] });
  readonly transactionProcess = new client.Counter({ name: 'dtm_transaction_process_total', help: 'All transactions processed by dtm (counted when they finish in dtx)', labelNames: ['model', 'status'], registers: [this.registry] });
  readonly transactionDuration = new client.Histogram({ name: 'dtm_transaction_handled_duration', help: 'Seconds from creation to finish of a transaction', labelNames: ['model'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 600, 3600], registers: [this.registry] });
  readonly branchProcess = new client.Counter({ name: 'dtm_branch_process_total', help: 'All branches processed by dtm', labelNames: ['model', 'branchid', 'branchtype', 'status'], registers: [this.registry] });
  readonly appendSeconds = new client.Histogram({ name: 'dtx_log_append_seconds', help: 'Duration of one durable group commit', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly batchRecords = new client.Histogram({ name: 'dtx_log_batch_records', help: 'Events written per group commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [this.registry] });
  readonly appendFailures = new client.Counter({ name: 'dtx_log_append_failures_total', help: 'Batches of a partition whose append failed, by the error\'s code (one failed group commit counts once for each partition in it); their client commands got 503 DTX_LOG_UNAVAILABLE, dtx\'s own are retried', labelNames: ['code'], registers: [this.registry] });
  readonly recoverySeconds = new client.Gauge({ name: 'dtx_recovery_seconds', help: 'Duration of the last recovery (log fold) on start', registers: [this.registry] });
  readonly liveTransactions: client.Gauge;
  readonly openPayloadBytes: client.Gauge;
  readonly parkedTransactions = new client.Counter({ name: 'dtx_transactions_parked_total', help: 'Transactions parked because acting on them failed inside dtx (model unknown: left out of recovery)', labelNames: ['model'], registers: [this.registry] });
  /** Registered when `pruning`. */
  readonly prunedTransactions: client.Counter;
  /** Kafka only (registered when `kafka`): partitions this worker owns, lag, batches, takeovers. */
  readonly partitionsOwned: client.Gauge;
  readonly partitionOwner: client.Gauge<'partition'>;
  readonly consumerLag: client.Gauge<'partition'>;
  readonly commandBatch: client.Histogram;
  readonly commandsRouted: client.Counter<'route'>;
  readonly partitionRecoverySeconds: client.Gauge<'partition'>;

  constructor(opts: MetricsOptions) {
    const { liveCount, openBytes = () => 0, readBudget } = opts;
    this.appendFailures.inc({ code: 'DTX_LOG_UNAVAILABLE' }, 0); // exported from the start: a rate() alert sees its first failure
    client.collectDefaultMetrics({ register: this.registry });
    const info = new client.Gauge({ name: 'dtm_server_info', help: '1 while the server runs; labels: the dtx version and the grpc-js version (dtm: gin_version, grpc_version)', labelNames: ['version', 'grpc_version'], registers: [this.registry] });
    info.set({ version: opts.info?.version ?? 'unknown', grpc_version: opts.info?.grpcVersion ?? 'unknown' }, 1);
    const kafka = opts.kafka === true ? [this.registry] : [];
    this.partitionsOwned = new client.Gauge({ name: 'dtx_partitions_owned', help: 'Partitions of the commands topic this worker owns', registers: kafka });
    this.partitionOwner = new client.Gauge({ name: 'dtx_partition_owned', help: '1 for each partition this worker owns', labelNames: ['partition'], registers: kafka });
    this.consumerLag = new client.Gauge({ name: 'dtx_kafka_consumer_lag', help: 'Commands behind the high watermark at the last batch, per owned partition', labelNames: ['partition'], registers: kafka });
    this.commandBatch = new client.Histogram({ name: 'dtx_kafka_command_batch', help: 'Commands per batch fetched from the commands topic', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: kafka });
    this.commandsRouted = new client.Counter({ name: 'dtx_kafka_commands_total', help: 'Commands this worker\'s ingress sent, by route: local (decided here), direct (to the owner\'s stream), topic', labelNames: ['route'], registers: kafka });
    this.partitionRecoverySeconds = new client.Gauge({ name: 'dtx_partition_recovery_seconds', help: 'Duration of the last takeover (fence + replay) per partition', labelNames: ['partition'], registers: kafka });
    const replicaStore = opts.replicaStore ?? (() => ({ failing: false, failures: 0 }));
    new client.Gauge({
      name: 'dtx_kafka_replica_store_failing',
      help: "1 while this worker's replica of the events topic cannot store what it copies (a full disk): reads that wait for the copy get 503, takeovers wait for room",
      registers: kafka,
      collect() {
        this.set(replicaStore().failing ? 1 : 0);
      },
    });
    new client.Counter({
      name: 'dtx_kafka_replica_store_failures_total',
      help: "Stores this worker's replica refused: each retry of a held batch, each own commit it could not copy at once",
      registers: kafka,
      collect() {
        this.reset();
        this.inc(replicaStore().failures);
      },
    });
    this.liveTransactions = this.#sampled('dtx_live_transactions', 'Unfinished transactions held in memory by their partitions', liveCount);
    this.openPayloadBytes = this.#sampled('dtx_open_payload_bytes', 'Request bytes held by unfinished transactions (capped by MaxOpenPayloadBytes)', openBytes);
    this.#sampled('dtx_read_budget_bytes', 'Bytes reserved by HTTP bodies and gRPC messages being read (capped by HttpMaxBodyBytesInFlight)', () => readBudget?.held ?? 0);
    this.#sampled('dtx_read_budget_waiting_calls', 'gRPC calls waiting for HttpMaxBodyBytesInFlight before their message is read', () => readBudget?.waiting ?? 0);
    if (opts.walBytes !== undefined) this.#sampled('dtx_log_wal_bytes', 'Size of the embedded log\'s WAL file: it starts over after a checkpoint copies it whole into the database (a long reader of another process, or a full disk, holds it back)', opts.walBytes);
    this.prunedTransactions = new client.Counter({ name: 'dtx_pruned_transactions_total', help: 'Finished transactions deleted whole by Store.PruneFinishedAfter', registers: opts.pruning === true ? [this.registry] : [] });
    const tlsExpiry = opts.tlsExpiry ?? (() => []);
    new client.Gauge({ // registered with `tlsExpiry` only
      name: 'dtx_tls_certificate_expiry_timestamp_seconds',
      help: 'When the certificate of a TLS setting expires, epoch seconds: setting Tls (served on the HTTP and gRPC ports), Invoker.GrpcTls (presented to gRPC branches), InternalTls (between Kafka workers)',
      labelNames: ['setting'],
      registers: opts.tlsExpiry !== undefined ? [this.registry] : [],
      collect() {
        this.reset();
        for (const { setting, seconds } of tlsExpiry()) this.set({ setting }, seconds);
      },
    });
  }

  /** A gauge whose value is read on each scrape. */
  #sampled(name: string, help: string, read: () => number): client.Gauge {
    return new client.Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  onCommit(records: number, ms: number): void {
    this.appendSeconds.observe(ms / 1000);
    this.batchRecords.observe(records);
  }
}
