import { isFinal, type TransContext, type TransEvent, type TransSpec, type TransTypeRegistry } from '../../machines/index.js';
import { FlatMachine, type FlatSnapshot } from '../engine/flat-machine.js';
import { PARKED_EVENT, type Parked } from '../engine/live-transaction.js';
import { storedView } from '../engine/trans-view.js';
import type { AuditedProjection } from '../log/event-log.js';

/** A transaction folded by the flat fold: what `auditTransaction` compares with the projection. */
export interface FastFold {
  readonly status: string;
  readonly context: TransContext;
  readonly parked: Parked | undefined;
}

/**
 * The fast path of `dtx replay --all`: folds a transaction's events (its records as
 * `eventOfRecord` makes them) through the flat fold of its type (src/engine/flat-machine.ts)
 * exactly as `LiveTransaction.applyRecord` folds the records through
 * XState (TransParked parks; CronReset or a final status unparks), renders the projection the same
 * way, and says whether it equals the stored one.
 *
 * It only ever confirms: `verify` answers undefined whenever it cannot decide alone (the type has
 * no flat fold, the fold met something unsupported or threw, or the result differs from the
 * projection), and the caller then audits the transaction the exact way, so every divergence and
 * failure is reported by the XState fold itself.
 */
export class FastVerifier {
  constructor(private readonly registry: TransTypeRegistry) {}

  /** true: the fold gives the stored status and view; undefined: audit it the exact way. */
  verify(events: readonly TransEvent[], summary: AuditedProjection | undefined): true | undefined {
    if (summary === undefined) return undefined;
    let f: FastFold | undefined;
    try {
      f = this.fold(events);
    } catch {
      return undefined;
    }
    if (f === undefined || f.status !== summary.status) return undefined;
    return storedView(f.context, f.status, f.parked) === summary.view ? true : undefined;
  }

  /** The fold, or undefined when the type is unknown or has no flat fold. Throws what the fold throws. */
  fold(events: readonly TransEvent[]): FastFold | undefined {
    const spec = (events[0] as { spec?: TransSpec } | undefined)?.spec;
    const def = spec === undefined ? undefined : this.registry.get(spec.transType);
    const flat = def === undefined ? undefined : FlatMachine.of(def.machine);
    if (flat === undefined) return undefined;
    let s: FlatSnapshot = flat.initial;
    let parked: Parked | undefined;
    for (const e of events) {
      const type: string = e.type;
      if (type === PARKED_EVENT) {
        parked = { reason: String((e as { reason?: unknown }).reason ?? ''), at: e.at };
        continue;
      }
      s = flat.transition(s, e);
      if (parked !== undefined && (type === 'CronReset' || isFinal(statusOf(s)))) parked = undefined;
    }
    return { status: statusOf(s), context: s.context as TransContext, parked };
  }

}

/** LiveTransaction.status: '' before TransCreated (the machine's idle state), else the dtm status. */
function statusOf(s: FlatSnapshot): string {
  return s.value === 'idle' ? '' : s.value;
}
