import type { AnyStateMachine } from 'xstate';
import { STEP_FUNCTION, type Step, type TransContext, type TransEvent } from '../../machines/index.js';
import { merged } from './flat-merge.js';
import { ASSIGN, ENQUEUE, FlatUnsupported, compileFlat, guardOf, implOf, unsupported, type Action, type Ev, type FlatSnapshot, type FlatState, type Fn, type Transition, type XAction } from './flat-machine-definition.js';

export { FlatUnsupported, type FlatSnapshot } from './flat-machine-definition.js';

/**
 * A fold of a flat XState machine without XState's per-event machinery (an inert actor per call,
 * snapshot clones per microstep): the audit's fast path (`dtx replay --all`, docs/benchmarks.md).
 *
 * `compile` reads the machine's own parsed definition (state nodes, transitions, guards, actions)
 * and `transition` runs it with XState's macrostep semantics, restricted to what the machines of
 * this project use: one level of atomic states under the root; inline guards (or named plain
 * guard functions); actions that are `enqueueActions` (with `enqueue(action)` and
 * `enqueue.assign`), `assign`, or plain named/inline actions, which name effects and change
 * nothing; entry, exit and eventless (`always`) transitions. A machine with anything else (nested
 * or parallel states, final states, history, invoke, delays, wildcard events, builtin guards,
 * raise/sendTo/spawn, a finite maxIterations) does not compile and is folded by XState; so does a
 * transaction whose fold reaches something unsupported at run time (`FlatUnsupported`).
 *
 * The contract is identity with `xstate.transition`: the same state value, the same context
 * (same keys in the same order, `Object.assign({}, old, update)` as XState's assign) and the same
 * effects, event after event. test/unit/engine/flat-machine.test.ts proves it on every golden log
 * and on generated event sequences of every built-in type.
 */

/** An effect as `transition` returns it (`type` + resolved `params`). */
export interface FlatEffect {
  readonly type: string;
  readonly params: unknown;
}

type StepFunction = (ctx: TransContext, event: TransEvent) => Step;

/** Marker of an `enqueue.assign(...)` call inside an enqueueActions callback. */
const ENQUEUED_ASSIGN = Symbol('enqueue.assign');
interface EnqueuedAssign {
  readonly [ENQUEUED_ASSIGN]: true;
  readonly assignment: unknown;
}

const compiled = new WeakMap<AnyStateMachine, FlatMachine | null>();

export class FlatMachine {
  private constructor(
    private readonly machine: AnyStateMachine,
    private readonly states: readonly FlatState[],
    private readonly index: ReadonlyMap<string, number>,
    /** XState's own initial snapshot (value, context), computed once. */
    readonly initial: FlatSnapshot,
  ) {}

  /** The flat fold of `machine`, or the reason it has none (then XState folds it). */
  static compile(machine: AnyStateMachine): FlatMachine | string {
    try {
      const c = compileFlat(machine);
      return new FlatMachine(machine, c.states, c.index, c.initial);
    } catch (err) {
      if (err instanceof FlatUnsupported) return err.message;
      throw err;
    }
  }

  /** `compile`, once per machine (the engine's step and the audit share it); undefined when it has none. */
  static of(machine: AnyStateMachine): FlatMachine | undefined {
    let flat = compiled.get(machine);
    if (flat === undefined) {
      const c = FlatMachine.compile(machine);
      flat = typeof c === 'string' ? null : c;
      compiled.set(machine, flat);
    }
    return flat ?? undefined;
  }

  /**
   * One event: the selected transition's microstep, then eventless transitions until none is
   * enabled or one changes nothing (XState's macrostep without an internal queue). Effects are
   * pushed to `effects` when given. Throws what a guard or action throws, and FlatUnsupported.
   */
  transition(snapshot: FlatSnapshot, event: Ev, effects?: FlatEffect[]): FlatSnapshot {
    const i = this.index.get(snapshot.value);
    if (i === undefined) unsupported(`state value '${snapshot.value}'`);
    let cur = snapshot;
    const picked = this.select(this.states[i]!.on.get(event.type), cur.context, event);
    if (picked !== undefined) cur = this.microstep(i, picked, cur, event, effects)[0];
    for (;;) {
      const at = this.index.get(cur.value)!;
      const t = this.select(this.states[at]!.always, cur.context, event);
      if (t === undefined) break;
      const [next, changed] = this.microstep(at, t, cur, event, effects);
      cur = next;
      if (!changed) break;
    }
    return cur;
  }

  private select(list: readonly Transition[] | undefined, context: unknown, event: Ev): Transition | undefined {
    if (list === undefined) return undefined;
    for (const t of list) if (t.guard === undefined || t.guard({ context, event }, t.guardParams)) return t;
    return undefined;
  }

  /** [next, changed]: `changed` = XState would return a new snapshot (another state, or an assign ran). */
  private microstep(from: number, t: Transition, s: FlatSnapshot, event: Ev, effects: FlatEffect[] | undefined): [FlatSnapshot, boolean] {
    const box = { context: s.context, assigned: false };
    const moves = t.target >= 0 && (t.target !== from || t.reenter);
    if (moves) this.run(this.states[from]!.exit, box, event, effects);
    this.run(t.actions, box, event, effects);
    if (moves) this.run(this.states[t.target]!.entry, box, event, effects);
    const value = moves ? this.states[t.target]!.key : s.value;
    const changed = box.assigned || value !== s.value;
    return [changed ? { value, context: box.context } : s, changed];
  }

  /** XState's resolveAndExecuteActionsWithContext for the supported actions. */
  private run(actions: readonly Action[], box: { context: unknown; assigned: boolean }, event: Ev, effects: FlatEffect[] | undefined): void {
    for (const a of actions) {
      if (isEnqueuedAssign(a)) {
        this.assign(a.assignment, box, event);
        continue;
      }
      const inline = typeof a === 'function';
      const impl = implOf(this.machine, a) as (Fn & XAction) | undefined;
      const ref = a as XAction;
      const params = inline || typeof a === 'string' ? undefined : 'params' in ref ? (typeof ref.params === 'function' ? (ref.params as Fn & ((x: object) => unknown))({ context: box.context, event }) : ref.params) : undefined;
      if (impl === undefined || !('resolve' in impl)) {
        effects?.push({ type: typeof a === 'string' ? a : inline ? (a as Fn).name || '(anonymous)' : (ref.type ?? ''), params });
        continue;
      }
      if (impl.type === ASSIGN) this.assign(impl.assignment, box, event, params);
      else if (STEP_FUNCTION in impl) this.step(impl[STEP_FUNCTION] as StepFunction, box, event, effects);
      else if (impl.type === ENQUEUE) this.run(this.collect(impl, box.context, event, params), box, event, effects);
      else unsupported(`action ${impl.type}`);
    }
  }

  /**
   * A `stepAction` (machines/machine-kit.ts) without running its enqueueActions callback: what the
   * callback enqueues, the step's context as an assign when it is another object, then its
   * effects, resolved here in that order as XState resolves the queue.
   */
  private step(fn: StepFunction, box: { context: unknown; assigned: boolean }, event: Ev, effects: FlatEffect[] | undefined): void {
    const s = fn(box.context as TransContext, event as TransEvent);
    if (s.ctx !== box.context) assignUpdate(box, s.ctx);
    if (s.effects.length > 0) this.run(s.effects, box, event, effects);
  }

  /** Runs an enqueueActions callback; what it enqueues is resolved next, in order (as XState does). */
  private collect(impl: XAction, context: unknown, event: Ev, params: unknown): Action[] {
    const queued: Action[] = [];
    this.#queue = queued;
    try {
      impl.collect!(new CollectArgs(this, context, event, this.#enqueue), params);
    } finally {
      this.#queue = undefined;
    }
    return queued;
  }

  /** `enqueue` of the callback running now: one function per machine, filling that callback's queue. */
  #queue: Action[] | undefined;
  readonly #enqueue = Object.assign(
    (action: Action) => {
      (this.#queue ?? unsupported('enqueue outside its callback')).push(action);
    },
    {
      assign: (assignment: unknown) => {
        (this.#queue ?? unsupported('enqueue outside its callback')).push({ [ENQUEUED_ASSIGN]: true, assignment } satisfies EnqueuedAssign);
      },
      ...Object.fromEntries(['cancel', 'raise', 'sendTo', 'sendParent', 'spawnChild', 'stopChild', 'emit'].map((name) => [name, () => unsupported(`enqueue.${name}`)])),
    },
  );

  /** XState's guard evaluation inside an enqueueActions callback (`check`). */
  check(g: unknown, context: unknown, event: Ev): boolean {
    const [guard, params] = guardOf(this.machine, g);
    return guard === undefined || guard({ context, event }, params);
  }

  /** XState's resolveAssign: the update is merged into a copy of the context. */
  private assign(assignment: unknown, box: { context: unknown; assigned: boolean }, event: Ev, params?: unknown): void {
    if (box.context === undefined || box.context === null) unsupported('assign without context');
    let update: object;
    if (typeof assignment === 'function') update = (assignment as (a: object, p: unknown) => object)(new AssignArgs(box.context, event), params);
    else {
      const args = new AssignArgs(box.context, event);
      const u: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(assignment as object)) u[k] = typeof v === 'function' ? (v as (a: object, p: unknown) => unknown)(args, params) : v;
      update = u;
    }
    assignUpdate(box, update);
  }
}

/** XState's resolveAssign, once the update is known: merged into the context, which must exist. */
function assignUpdate(box: { context: unknown; assigned: boolean }, update: object): void {
  if (box.context === undefined || box.context === null) unsupported('assign without context');
  box.context = merged(box.context, update);
  box.assigned = true;
}

/**
 * The arguments of an assign: context and event; reading the actor parts (spawn, self, system),
 * which this fold has not, throws FlatUnsupported, and the transaction is folded by XState.
 */
class AssignArgs {
  constructor(
    readonly context: unknown,
    readonly event: Ev,
  ) {}

  get spawn(): never {
    return unsupported('spawn');
  }

  get self(): never {
    return unsupported('self');
  }

  get system(): never {
    return unsupported('system');
  }
}

/** The arguments of an enqueueActions callback (`check` is made when read). */
class CollectArgs extends AssignArgs {
  constructor(
    private readonly flat: FlatMachine,
    context: unknown,
    event: Ev,
    readonly enqueue: unknown,
  ) {
    super(context, event);
  }

  get check(): (g: unknown) => boolean {
    return (g) => this.flat.check(g, this.context, this.event);
  }
}

function isEnqueuedAssign(a: Action): a is EnqueuedAssign {
  return typeof a === 'object' && a !== null && ENQUEUED_ASSIGN in a;
}
