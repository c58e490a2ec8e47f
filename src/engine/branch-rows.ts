import { MSG_TOPIC_PREFIX, type TransSpec } from '../../machines/index.js';

/**
 * The bound on the branch rows of one transaction (docs/limits.md `maxBranchRows`): a saga of the
 * largest size (1,000 steps, an action and a compensate each) has 2,000. Without it a msg whose
 * topic steps fan out (1,000 steps × 256 subscribers) or a tcc registered branch after branch grows
 * one transaction's memory, its events and every fold of them without limit: a few such requests
 * exhausted the heap. Enforced before the topics fan out (`fannedOutRows`) and on every event that
 * adds rows (the command decider).
 */
export const MAX_BRANCH_ROWS = 2000;

/** Rows a msg's steps make once each `topic://` step has one row per recorded subscriber. */
export function fannedOutRows(spec: TransSpec): number {
  let rows = 0;
  for (const step of spec.steps) {
    const action = step.action ?? '';
    rows += action.startsWith(MSG_TOPIC_PREFIX) ? (spec.topicUrls?.[action.slice(MSG_TOPIC_PREFIX.length)]?.length ?? 0) : 1;
  }
  return rows;
}

/** The refusal of a transaction that would hold more rows than the bound. */
export function tooManyRows(rows: number, what: string): string {
  return `${what}: at most ${MAX_BRANCH_ROWS} branch rows per transaction (this would make ${rows})`;
}
