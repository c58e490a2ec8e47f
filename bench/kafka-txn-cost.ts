/**
 * What a Kafka transaction costs the client and the broker, outside dtx: the figures behind
 * docs/kafka.md ("What a transaction costs"). Two shapes of the same traffic:
 *
 * - `per-partition`: one transactional producer per partition, each committing transactions of
 *   `--batch` records to its own partition, all partitions at once (dtx's writers today);
 * - `cross`: one transactional producer committing transactions of `--batch` records to every
 *   partition (the window across partitions issue 12 names).
 *
 * Clients: kafkajs (dtx's) or `@platformatic/kafka`, loaded only when asked for and installed by
 * hand (`npm i --no-save @platformatic/kafka@1.35.0`, the last line that runs on Node 20).
 *
 *   node dist/bench/kafka-txn-cost.js --brokers 127.0.0.1:29700 --client kafkajs --mode cross
 *
 * Prints records/s, transactions/s and CPU ms per 1,000 records of this process and of the broker
 * (`--broker-pid`, read from /proc). Each run writes to a new topic.
 */
import { Command, Option } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { cpuSeconds } from './process-stats.js';

interface Flags {
  brokers: string;
  brokerPid: number;
  client: 'kafkajs' | 'platformatic';
  mode: 'per-partition' | 'cross';
  partitions: number;
  batch: number;
  seconds: number;
  firstRetry: number;
}

interface TxnProducer {
  commit(partitions: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

/** The part of @platformatic/kafka used here (it is not a dependency of dtx). */
interface PlatformaticModule {
  Producer: new (o: Record<string, unknown>) => {
    beginTransaction(): Promise<{ send(o: { messages: unknown[] }): Promise<unknown>; commit(): Promise<void> }>;
    close(): Promise<void>;
  };
}

const VALUE = Buffer.alloc(300, 'x');

const records = (f: Flags, partitions: readonly number[]) =>
  partitions.flatMap((partition) => Array.from({ length: f.batch }, (_, i) => ({ partition, key: `k${i}` })));

async function kafkajsProducer(f: Flags, kafka: Kafka, topic: string, transactionalId: string): Promise<TxnProducer> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: f.firstRetry } });
  await producer.connect();
  return {
    async commit(partitions) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: records(f, partitions).map((r) => ({ ...r, value: VALUE })) });
      await txn.commit();
    },
    close: () => producer.disconnect(),
  };
}

async function platformaticProducer(f: Flags, topic: string, transactionalId: string): Promise<TxnProducer> {
  const name = '@platformatic/kafka';
  const { Producer } = (await import(name).catch(() => {
    process.stderr.write(`kafka-txn-cost: ${name} is not installed (npm i --no-save ${name}@1.35.0)\n`);
    process.exit(2);
  })) as PlatformaticModule;
  const producer = new Producer({ clientId: transactionalId, bootstrapBrokers: f.brokers.split(','), transactionalId, idempotent: true, acks: -1, retries: 1000, retryDelay: f.firstRetry });
  return {
    async commit(partitions) {
      const txn = await producer.beginTransaction();
      await txn.send({ messages: records(f, partitions).map((r) => ({ topic, partition: r.partition, key: Buffer.from(r.key), value: VALUE })) });
      await txn.commit();
    },
    close: () => producer.close(),
  };
}

function flags(): Flags {
  const program = new Command('kafka-txn-cost')
    .requiredOption('--brokers <list>', 'bootstrap brokers, e.g. 127.0.0.1:29700 (scripts/kafka-local.sh)')
    .requiredOption('--broker-pid <pid>', "the broker's pid, for its CPU", (v) => Number(v))
    .addOption(new Option('--client <name>', 'Kafka client').choices(['kafkajs', 'platformatic']).default('kafkajs'))
    .addOption(new Option('--mode <shape>', 'one producer per partition, or one transaction across partitions').choices(['per-partition', 'cross']).default('per-partition'))
    .option('--partitions <n>', 'partitions of the topic', (v) => Number(v), 16)
    .option('--batch <n>', 'records per partition per transaction', (v) => Number(v), 20)
    .option('--seconds <n>', 'measured seconds, after one warm-up transaction per producer', (v) => Number(v), 10)
    .option('--first-retry <ms>', "the client's first retry backoff (CONCURRENT_TRANSACTIONS while the previous commit completes)", (v) => Number(v), 10)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();
  for (const [name, v] of [['broker-pid', f.brokerPid], ['partitions', f.partitions], ['batch', f.batch], ['seconds', f.seconds], ['first-retry', f.firstRetry]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      process.stderr.write(`kafka-txn-cost: --${name} must be a positive integer\n`);
      process.exit(2);
    }
  }
  return f;
}

async function main(): Promise<void> {
  const f = flags();
  const kafka = new Kafka({ clientId: 'dtx-txn-cost', brokers: f.brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `dtx-txn-cost-${f.client}-${f.mode}-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: f.partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const all = Array.from({ length: f.partitions }, (_, p) => p);
  const groups = f.mode === 'cross' ? [all] : all.map((p) => [p]);
  const producers = await Promise.all(groups.map((_, i) => (f.client === 'kafkajs' ? kafkajsProducer(f, kafka, topic, `${topic}-${i}`) : platformaticProducer(f, topic, `${topic}-${i}`))));
  await Promise.all(producers.map((p, i) => p.commit(groups[i]!)));
  let sent = 0;
  let txns = 0;
  const t0 = performance.now();
  const own0 = process.cpuUsage();
  const brokerMsNow = (): number => (cpuSeconds(f.brokerPid) ?? Number.NaN) * 1000;
  const broker0 = brokerMsNow();
  const end = t0 + f.seconds * 1000;
  await Promise.all(
    producers.map(async (p, i) => {
      while (performance.now() < end) {
        await p.commit(groups[i]!);
        sent += groups[i]!.length * f.batch;
        txns++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const ownMs = (own.user + own.system) / 1000;
  const brokerMs = brokerMsNow() - broker0;
  const per1k = (ms: number): string => ((ms / sent) * 1000).toFixed(1);
  process.stdout.write(
    `| ${f.client} | ${f.mode} | ${f.batch} | ${(sent / s).toFixed(0)} | ${(txns / s).toFixed(0)} | ${per1k(ownMs)} | ${per1k(brokerMs)} | ${(ownMs / s / 10).toFixed(0)}% / ${(brokerMs / s / 10).toFixed(0)}% |\n`,
  );
  await Promise.all(producers.map((p) => p.close()));
}

await main();
