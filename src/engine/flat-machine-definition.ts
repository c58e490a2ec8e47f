/**
 * The compile half of the flat fold (src/engine/flat-machine.ts): reads a machine's own parsed
 * XState definition (xstate 5 StateNode / TransitionDefinition internals) into flat states and
 * refuses, with FlatUnsupported, whatever the flat interpreter does not model.
 */
import { initialTransition, type AnyStateMachine } from 'xstate';

/** What the fast fold keeps per transaction: the state value and the context. */
export interface FlatSnapshot {
  readonly value: string;
  readonly context: unknown;
}

/** The fold met something the flat interpreter does not model: fold this transaction with XState. */
export class FlatUnsupported extends Error {
  override readonly name = 'FlatUnsupported';
}

export type Ev = { readonly type: string };
export type Fn = (...args: never[]) => unknown;
export type Guard = (args: { context: unknown; event: Ev }, params: unknown) => boolean;
export type Action = unknown;

export interface Transition {
  readonly guard: Guard | undefined;
  readonly guardParams: unknown;
  /** index of the target state, -1 = targetless */
  readonly target: number;
  readonly reenter: boolean;
  readonly actions: readonly Action[];
}

export interface FlatState {
  readonly key: string;
  readonly entry: readonly Action[];
  readonly exit: readonly Action[];
  readonly on: ReadonlyMap<string, readonly Transition[]>;
  readonly always: readonly Transition[];
}

/** Parsed XState internals this module reads (xstate 5 StateNode / TransitionDefinition). */
interface XNode {
  readonly key: string;
  readonly type: string;
  readonly states: Record<string, XNode>;
  readonly entry: readonly Action[];
  readonly exit: readonly Action[];
  readonly invoke: readonly unknown[];
  readonly after: readonly unknown[];
  readonly always?: readonly XTransition[];
  readonly transitions: ReadonlyMap<string, readonly XTransition[]>;
  readonly initial?: { readonly target: readonly XNode[]; readonly actions: readonly unknown[] };
  readonly history?: unknown;
}
interface XTransition {
  readonly target?: readonly XNode[];
  readonly source: XNode;
  readonly reenter?: boolean;
  readonly actions: readonly Action[];
  readonly guard?: unknown;
}
export interface XAction {
  readonly type?: string;
  readonly params?: unknown;
  readonly resolve?: unknown;
  readonly collect?: (args: object, params: unknown) => void;
  readonly assignment?: unknown;
}

export const ENQUEUE = 'xstate.enqueueActions';
export const ASSIGN = 'xstate.assign';
/** A compiled machine: its states by index, the index by state key, XState's initial snapshot. */
export interface CompiledFlat {
  readonly states: readonly FlatState[];
  readonly index: ReadonlyMap<string, number>;
  readonly initial: FlatSnapshot;
}

export function unsupported(what: string): never {
  throw new FlatUnsupported(what);
}

/** The states of `machine` as the flat fold runs them, and XState's initial snapshot; throws FlatUnsupported. */
export function compileFlat(machine: AnyStateMachine): CompiledFlat {
  const root = machine.root as unknown as XNode;
  const maxIterations = (machine.options as { maxIterations?: number } | undefined)?.maxIterations ?? Infinity;
  if (maxIterations !== Infinity) unsupported('finite maxIterations');
  if (root.type !== 'compound') unsupported(`root of type ${root.type}`);
  if (root.transitions.size > 0 || (root.always?.length ?? 0) > 0 || root.entry.length > 0 || root.exit.length > 0) unsupported('root transitions or actions');
  if (root.invoke.length > 0 || root.after.length > 0 || (root.initial?.actions.length ?? 0) > 0) unsupported('root invoke, delay or initial actions');
  const nodes = Object.values(root.states);
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  const states = nodes.map((n) => flatState(machine, root, n, index));
  const [snapshot] = initialTransition(machine);
  const s = snapshot as unknown as { value: unknown; context: unknown; status: string; children: object };
  if (s.status !== 'active' || typeof s.value !== 'string' || Object.keys(s.children).length > 0) unsupported('initial snapshot');
  return { states, index, initial: { value: s.value, context: s.context } };
}

function flatState(machine: AnyStateMachine, root: XNode, n: XNode, index: ReadonlyMap<string, number>): FlatState {
  if (n.type !== 'atomic') unsupported(`state '${n.key}' of type ${n.type}`);
  if (n.invoke.length > 0 || n.after.length > 0) unsupported(`state '${n.key}' invokes or delays`);
  const transition = (t: XTransition): Transition => {
    if (t.source !== n) unsupported('inherited transition');
    const targets = t.target ?? [];
    if (targets.length > 1) unsupported('multiple targets');
    const target = targets[0];
    const at = target === undefined ? -1 : index.get(target.key);
    if (at === undefined || (target !== undefined && root.states[target.key] !== target)) unsupported('target outside the root');
    for (const a of t.actions) checkAction(machine, a);
    const [guard, guardParams] = guardOf(machine, t.guard);
    return { guard, guardParams, target: at, reenter: t.reenter === true, actions: t.actions };
  };
  const on = new Map<string, Transition[]>();
  for (const [type, list] of n.transitions) {
    if (type.includes('*')) unsupported(`wildcard event '${type}'`);
    on.set(type, list.map(transition));
  }
  for (const a of [...n.entry, ...n.exit]) checkAction(machine, a);
  return { key: n.key, entry: n.entry, exit: n.exit, on, always: (n.always ?? []).map(transition) };
}

/** A guard as a plain function: inline, or a named plain function; builtin guards are refused. */
export function guardOf(machine: AnyStateMachine, g: unknown): [Guard | undefined, unknown] {
  if (g === undefined) return [undefined, undefined];
  if (typeof g === 'function') {
    if ('check' in g) unsupported('builtin guard');
    return [g as Guard, undefined];
  }
  const ref = typeof g === 'string' ? { type: g } : (g as { type?: string; params?: unknown });
  const impl = (machine.implementations.guards as Record<string, unknown>)[ref.type ?? ''];
  if (typeof impl !== 'function' || 'check' in impl || typeof ref.params === 'function') unsupported(`guard '${ref.type}'`);
  return [impl as Guard, ref.params];
}

/** Refuses builtin actions other than enqueueActions and assign (raise, sendTo, spawn, ...). */
function checkAction(machine: AnyStateMachine, a: Action): void {
  const impl = implOf(machine, a);
  if (impl === undefined || typeof impl !== 'function' || !('resolve' in impl)) return;
  const type = (impl as XAction).type;
  if (type !== ENQUEUE && type !== ASSIGN) unsupported(`action ${type}`);
}

/** The implementation an action names (or the inline function itself). */
export function implOf(machine: AnyStateMachine, a: Action): unknown {
  if (typeof a === 'function') return a;
  const type = typeof a === 'string' ? a : (a as XAction).type;
  return (machine.implementations.actions as Record<string, unknown>)[type ?? ''];
}
