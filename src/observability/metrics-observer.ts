import type { OwnershipObserver } from '../cluster/partition-ownership.js';
import type { EngineObserver } from '../engine/engine-observer.js';
import type { Metrics } from './metrics.js';

/** Feeds engine events into dtm's metric families (spec §13). */
export function metricsObserver(metrics: Metrics): EngineObserver {
  return {
    committed: (records, ms) => metrics.onCommit(records, ms),
    appendFailed: (code) => metrics.appendFailures.inc({ code }),
    branchCalled: (model, branchid, branchtype, result) =>
      metrics.branchProcess.inc({ model, branchid, branchtype, status: result === 'SUCCESS' ? 'ok' : 'fail' }),
    transactionFinished: (model, status, createTime, finishTime) => {
      metrics.transactionProcess.inc({ model, status: status === 'succeed' ? 'ok' : 'fail' });
      metrics.transactionDuration.observe({ model }, Math.max(0, finishTime - createTime) / 1000);
    },
    transactionParked: (model) => metrics.parkedTransactions.inc({ model }),
  };
}

/** Feeds partition ownership (Kafka) into the engine metrics. */
export function ownershipMetrics(metrics: Metrics): OwnershipObserver {
  return {
    owned: (partitions) => {
      metrics.partitionsOwned.set(partitions.length);
      metrics.partitionOwner.reset();
      for (const p of partitions) metrics.partitionOwner.set({ partition: String(p) }, 1);
    },
    routed: (route) => metrics.commandsRouted.inc({ route }),
    recovered: (partition, _transactions, _events, ms) => metrics.partitionRecoverySeconds.set({ partition: String(partition) }, ms / 1000),
    batch: (partition, commands, lag) => {
      metrics.commandBatch.observe(commands);
      metrics.consumerLag.set({ partition: String(partition) }, lag);
    },
  };
}
