import type { Kafka } from 'kafkajs';

/**
 * kafkajs 2.2.4 (pinned; no release since 2023, so its internals used here do not move) looks the
 * coordinator up with a FindCoordinator request before every transactional request: before
 * AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, i.e. four extra sequential round
 * trips in each Kafka transaction of a partition writer (measured: 2.3 FindCoordinator requests per
 * empty saga, 37% of all the worker's requests). The Java client remembers the coordinator and asks
 * again only after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE; this does the same for the
 * producers of one kafkajs client:
 *
 * - a coordinator found is remembered per (coordinator type, key) for `ttlMs`;
 * - it is forgotten as soon as any request to the broker handed out from the cache fails (whatever
 *   the error: the next lookup asks the cluster again), and whenever kafkajs refreshes the
 *   cluster's metadata (it does on retriable errors, e.g. after NOT_COORDINATOR in a send).
 *
 * Nothing about fencing changes: the broker still checks every request's producer id and epoch.
 */
export function cacheCoordinators(kafka: Kafka, ttlMs = 30_000): void {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const holder = kafka as unknown as Record<symbol, (options: unknown) => KafkajsCluster>;
  if (key === undefined || typeof holder[key] !== 'function') {
    throw new Error('kafkajs internals changed: cannot cache coordinators (is kafkajs still 2.2.4?)');
  }
  const create = holder[key];
  holder[key] = (options: unknown) => withCoordinatorCache(create(options), ttlMs);
}

/** The part of kafkajs's Cluster class used here. */
interface KafkajsCluster {
  findGroupCoordinator(args: { groupId: string; coordinatorType?: number }): Promise<object>;
  findBroker(args: { nodeId: number }): Promise<object>;
  findGroupCoordinatorMetadata(args: { groupId: string; coordinatorType?: number }): Promise<{ coordinator: { nodeId: number } }>;
  refreshMetadata(): Promise<void>;
}

function withCoordinatorCache(cluster: KafkajsCluster, ttlMs: number): KafkajsCluster {
  const known = new Map<string, { nodeId: number; until: number }>();
  const find = cluster.findGroupCoordinator.bind(cluster);
  const findMetadata = cluster.findGroupCoordinatorMetadata.bind(cluster);
  const refresh = cluster.refreshMetadata.bind(cluster);
  cluster.findGroupCoordinatorMetadata = async (args) => {
    const metadata = await findMetadata(args);
    known.set(`${args.coordinatorType ?? 0}/${args.groupId}`, { nodeId: metadata.coordinator.nodeId, until: Date.now() + ttlMs });
    return metadata;
  };
  cluster.findGroupCoordinator = async (args) => {
    const id = `${args.coordinatorType ?? 0}/${args.groupId}`;
    const hit = known.get(id);
    let broker: object | undefined;
    if (hit !== undefined && hit.until > Date.now()) broker = await cluster.findBroker({ nodeId: hit.nodeId }).catch(() => undefined);
    return forgettingOnError(broker ?? (await find(args)), () => known.delete(id));
  };
  cluster.refreshMetadata = () => {
    known.clear();
    return refresh();
  };
  return cluster;
}

/** The broker, with every method call that throws or rejects calling `forget` first. */
function forgettingOnError(broker: object, forget: () => void): object {
  return new Proxy(broker, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (out instanceof Promise) {
            return out.catch((err: unknown) => {
              forget();
              throw err;
            });
          }
          return out;
        } catch (err) {
          forget();
          throw err;
        }
      };
    },
  });
}
