import type { AnyMachineSnapshot } from 'xstate';
import { MSG_TOPIC_PREFIX, isFinal, type BranchRegistration, type Effect, type TransContext, type TransEvent, type TransSpec, type TransTypeDefinition, type TransTypeRegistry } from '../../machines/index.js';
import type { LogRecord, StoredState, StoredTail } from '../log/event-log.js';
import { initialSnapshotOf, stepMachine, type FoldMode } from './machine-step.js';

/**
 * The one event the engine folds itself, never a machine: `TransParked {reason}` records that acting
 * on the transaction failed inside dtx (a machine or rendering error). A parked transaction is not
 * scheduled and ignores branch results until `resetNextCronTime` (its `CronReset` unparks it) or
 * `forceStop` ends it.
 */
export const PARKED_EVENT = 'TransParked';

export interface Parked {
  readonly reason: string;
  readonly at: number;
}

/**
 * A transaction held by its partition: the machine snapshot, the last seq and the ids of the
 * commands already applied. The snapshot is always the fold of the stored events.
 */
export class LiveTransaction {
  /** Bounded memory of applied command ids; older duplicates are caught by the machine itself. */
  static readonly MAX_REMEMBERED_COMMANDS = 256;
  readonly cmds = new Set<string>();
  /** Set while the transaction is parked (see PARKED_EVENT). */
  parked: Parked | undefined;
  #bytes: number | undefined;
  /** The rows `#bytes` was computed for (registerBranch adds rows after creation). */
  #bytesOf: unknown;

  constructor(
    readonly gid: string,
    readonly def: TransTypeDefinition,
    public snapshot: AnyMachineSnapshot,
    public seq: number,
    /** How the machine steps (machine-step.ts): the engine's way, or XState only (the exact audit). */
    readonly fold: FoldMode = 'engine',
  ) {}

  static empty(gid: string, def: TransTypeDefinition, fold: FoldMode = 'engine'): LiveTransaction {
    return new LiveTransaction(gid, def, initialSnapshotOf(def), 0, fold);
  }

  /**
   * Rebuilds a transaction from a stored machine snapshot (state value + context at `seq`); the
   * events after `seq` must then be folded with `step`. Equivalent to folding all events: machines
   * keep everything in value and context (no actors, no timers), which `resolveState` restores.
   */
  static restore(gid: string, def: TransTypeDefinition, state: { value: unknown; context: unknown; parked?: Parked }, seq: number, cmds: readonly string[]): LiveTransaction {
    const snapshot = def.machine.resolveState({ value: state.value as never, context: state.context as never }) as AnyMachineSnapshot;
    const live = new LiveTransaction(gid, def, snapshot, seq);
    for (const c of cmds) live.remember(c);
    live.parked = state.parked;
    return live;
  }

  /** A working copy for a batch: changes to it become real only when it replaces this one. */
  fork(): LiveTransaction {
    const copy = new LiveTransaction(this.gid, this.def, this.snapshot, this.seq, this.fold);
    for (const c of this.cmds) copy.cmds.add(c);
    copy.parked = this.parked;
    copy.#bytes = this.#bytes;
    copy.#bytesOf = this.#bytesOf;
    return copy;
  }

  /** Request bytes the transaction holds in memory (payloads, custom_data, URLs): the open-payload budget. */
  get bytes(): number {
    const ctx = this.context;
    if (this.#bytes !== undefined && this.#bytesOf === ctx.branches) return this.#bytes;
    const spec = ctx.spec;
    if (spec === undefined) return 0; // not created yet: nothing held
    this.#bytes = specBytes(spec) + registeredBytes(spec, ctx.branches);
    this.#bytesOf = ctx.branches;
    return this.#bytes;
  }

  get context(): TransContext {
    return this.snapshot.context as TransContext;
  }

  /** '' before TransCreated (the machine's idle state), else the dtm status. */
  get status(): string {
    const v = this.snapshot.value;
    return v === 'idle' ? '' : String(v);
  }

  remember(cmdId: string): void {
    this.cmds.add(cmdId);
    if (this.cmds.size > LiveTransaction.MAX_REMEMBERED_COMMANDS) {
      const first = this.cmds.values().next().value;
      if (first !== undefined) this.cmds.delete(first);
    }
  }

  /** Folds one stored record into this transaction (recovery, replay, snapshot tails). */
  apply(r: LogRecord): void {
    this.applyRecord(r);
  }

  /** `apply`, returning the effects the machine named (the audit timeline shows them; replay runs none). */
  applyRecord(r: LogRecord): Effect[] {
    let effects: Effect[] = [];
    if (r.type === PARKED_EVENT) {
      this.parked = { reason: String((r.data as { reason?: unknown }).reason ?? ''), at: r.at };
    } else {
      const [next, named] = this.step(eventOfRecord(r));
      this.snapshot = next;
      effects = named;
      this.settleParking(r.type);
    }
    this.seq = r.seq;
    this.remember(r.cmd);
    return effects;
  }

  /** After a machine event: `CronReset` unparks, and a finished transaction is not parked any more. */
  settleParking(eventType: string): void {
    if (this.parked !== undefined && (eventType === 'CronReset' || isFinal(this.status))) this.parked = undefined;
  }

  /** Pure step: [next snapshot, effects] without touching this object (machine-step.ts). */
  step(event: TransEvent): [AnyMachineSnapshot, Effect[]] {
    return stepMachine(this.def, this.snapshot, event, this.fold);
  }
}

export function eventOfRecord(r: LogRecord): TransEvent {
  return { ...r.data, type: r.type, at: r.at } as TransEvent;
}

export function recordOfEvent(gid: string, seq: number, e: TransEvent, cmd: string): LogRecord {
  const { type, at, ...data } = e;
  return { v: 1, gid, seq, type, at, data, cmd };
}

/** Bytes of a creation request kept in memory while the transaction is open. */
export function specBytes(spec: TransSpec | undefined): number {
  if (spec === undefined) return 0;
  let n = spec.customData.length + spec.queryPrepared.length + spec.rollbackReason.length;
  for (const p of spec.payloads) n += p.length;
  for (const step of spec.steps) {
    for (const v of Object.values(step)) n += v.length;
    // a topic step's rows hold the subscribers' URLs: counted for every step naming the topic
    const action = step.action ?? '';
    if (action.startsWith(MSG_TOPIC_PREFIX)) for (const u of spec.topicUrls?.[action.slice(MSG_TOPIC_PREFIX.length)] ?? []) n += u.length;
  }
  for (const [k, v] of Object.entries(spec.options.branchHeaders)) n += k.length + v.length;
  return n;
}

/** Bytes a registerBranch adds to an open transaction (its URLs and payload, as rows hold them). */
export function registrationBytes(r: BranchRegistration): number {
  let n = r.payload.length;
  for (const v of Object.values(r.fields)) n += v.length;
  return n;
}

/** Rows registered after creation (tcc/xa: no steps in the request) hold their URLs and payloads too. */
function registeredBytes(spec: TransSpec, rows: TransContext['branches']): number {
  if (spec.steps.length > 0) return 0; // rows built from the request's steps: counted in specBytes
  let n = 0;
  for (const r of rows) n += r.url.length + r.binData.length;
  return n;
}

export class UnknownTransType extends Error {
  override readonly name = 'UnknownTransType';
}

/** Rebuilds a transaction by folding its events through its machine (recovery, replay). */
export function foldRecords(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[]): LiveTransaction | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  const spec = (first.data as { spec?: TransSpec }).spec;
  const def = spec ? registry.get(spec.transType) : undefined;
  if (def === undefined) throw new UnknownTransType(`gid ${gid}: first event ${first.type} names no registered trans type (${spec?.transType ?? 'none'})`);
  const live = LiveTransaction.empty(gid, def);
  for (const r of records) live.apply(r);
  return live;
}

/** What the log stores of a transaction now and then (StoredState): `LiveTransaction.restore` takes it back. */
export function storedStateOf(live: LiveTransaction): StoredState {
  const s: StoredState = { seq: live.seq, value: live.snapshot.value, context: live.snapshot.context, cmds: [...live.cmds] };
  return live.parked === undefined ? s : { ...s, parked: live.parked };
}

/** Rebuilds a transaction from its stored state and the events after it, or from all its events (StoredTail). */
export function foldStored(registry: TransTypeRegistry, gid: string, tail: StoredTail): LiveTransaction | undefined {
  const state = tail.state;
  if (state === undefined) return foldRecords(registry, gid, tail.records);
  const transType = (state.context as { transType?: string }).transType ?? '';
  const def = registry.get(transType);
  if (def === undefined) throw new UnknownTransType(`gid ${gid}: its stored state names no registered trans type (${transType || 'none'})`);
  const first = tail.records[0];
  if (first !== undefined && first.seq !== state.seq + 1) throw new Error(`gid ${gid}: stored state at seq ${state.seq}, next event ${first.seq}`);
  const live = LiveTransaction.restore(gid, def, state, state.seq, state.cmds);
  for (const r of tail.records) live.apply(r);
  return live;
}
