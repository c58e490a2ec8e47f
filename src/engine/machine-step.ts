import { createActor, initialTransition, type AnyActorScope, type AnyMachineSnapshot, type ExecutableActionObject } from 'xstate';
import { msgType, sagaType, tccType, workflowType, xaType, type Effect, type TransEvent, type TransTypeDefinition } from '../../machines/index.js';
import { FlatMachine, FlatUnsupported, type FlatEffect, type FlatSnapshot } from './flat-machine.js';

/**
 * How a transaction's machine takes one event, for the engine and for the audit.
 *
 * - `'xstate'`: xstate's pure `transition`. The audit's exact fold (`dtx replay <gid>`, `--exact`,
 *   and whatever the fast fold cannot confirm) always folds this way.
 * - `'engine'`: the built-in types (saga, msg, tcc, xa, workflow) step through their flat fold
 *   (flat-machine.ts), which is proven identical to `xstate.transition` (same state value, same
 *   context, same effects after every event: test/unit/engine/flat-machine.test.ts, on every golden
 *   log and generated runs of every built-in type) at a fraction of its cost per event; custom
 *   types, and any step the flat fold reaches something it does not model in, go through xstate.
 */
export type FoldMode = 'engine' | 'xstate';

const FLAT_TYPES: ReadonlySet<TransTypeDefinition> = new Set([sagaType, msgType, tccType, xaType, workflowType]);

function flatOf(def: TransTypeDefinition): FlatMachine | undefined {
  return FLAT_TYPES.has(def) ? FlatMachine.of(def.machine) : undefined;
}

/**
 * One event: [next snapshot, effects]; the same snapshot object when the machine accepted the
 * event without change. Snapshots of both folds carry the state `value` and `context` that the
 * engine reads; an xstate step of a flat snapshot first resolves it into an xstate one.
 */
export function stepMachine(def: TransTypeDefinition, snapshot: AnyMachineSnapshot, event: TransEvent, mode: FoldMode): [AnyMachineSnapshot, Effect[]] {
  const flat = mode === 'engine' ? flatOf(def) : undefined;
  if (flat !== undefined) {
    const effects: FlatEffect[] = [];
    try {
      const next = flat.transition(snapshot as unknown as FlatSnapshot, event, effects);
      return [next as unknown as AnyMachineSnapshot, effects as unknown as Effect[]];
    } catch (err) {
      if (!(err instanceof FlatUnsupported)) throw err;
    }
  }
  const actions: ExecutableActionObject[] = [];
  const scope = stepScopeOf(def);
  scope.actionExecutor = (a) => void actions.push(a);
  try {
    const next = def.machine.transition(xstateSnapshotOf(def, snapshot), event, scope) as AnyMachineSnapshot;
    return [next, actions.map((a) => ({ type: a.type, params: a.params }) as unknown as Effect)];
  } finally {
    scope.actionExecutor = ignoreAction;
  }
}

/** A flat snapshot ({value, context} only) as the xstate snapshot it stands for. */
function xstateSnapshotOf(def: TransTypeDefinition, snapshot: AnyMachineSnapshot): AnyMachineSnapshot {
  if ('machine' in snapshot) return snapshot;
  const s = snapshot as unknown as FlatSnapshot;
  return def.machine.resolveState({ value: s.value as never, context: s.context as never }) as AnyMachineSnapshot;
}

/**
 * The machine's initial snapshot, computed once per definition: starting an actor scope for every
 * new transaction is a large share of xstate's cost per saga. Sharing it is safe because
 * snapshots are immutable values (`transition` returns new ones) and the machines' initial
 * context depends on no input.
 */
const initialSnapshots = new WeakMap<TransTypeDefinition, AnyMachineSnapshot>();
export function initialSnapshotOf(def: TransTypeDefinition): AnyMachineSnapshot {
  let snapshot = initialSnapshots.get(def);
  if (snapshot === undefined) {
    [snapshot] = initialTransition(def.machine);
    initialSnapshots.set(def, snapshot);
  }
  return snapshot;
}

const ignoreAction = (): void => undefined;

/**
 * What xstate's pure `transition(machine, snapshot, event)` does, without building a new inert
 * actor scope (an actor, its initial snapshot and an actor system) on every call, which was half
 * of the machine cost per event: one scope per definition, its action executor pointed at the
 * call's list for the duration of the (synchronous) transition. Sharing is sound because the
 * machines are pure: no spawned or invoked actors (nothing registers in the scope's system),
 * no delayed events; `defer`, `emit` and `stopChild` do nothing, as in xstate's inert scope.
 */
const stepScopes = new WeakMap<TransTypeDefinition, AnyActorScope>();
function stepScopeOf(def: TransTypeDefinition): AnyActorScope {
  let scope = stepScopes.get(def);
  if (scope === undefined) {
    const self = createActor(def.machine);
    scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => undefined,
      defer: () => undefined,
      emit: () => undefined,
      system: self.system,
      stopChild: () => undefined,
      actionExecutor: ignoreAction,
    };
    stepScopes.set(def, scope);
  }
  return scope;
}
