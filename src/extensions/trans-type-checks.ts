import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { EFFECT_TYPES, TRANS_EVENT_TYPES, type TransTypeDefinition } from '../../machines/index.js';
import { probeDeterminism } from './determinism-probe.js';
import { scanSource } from './source-scan.js';

/**
 * Load-time checks of a custom transaction type (docs/custom-types.md). A type is refused when
 * its machine steps outside the shared vocabulary (events, effects, dtm statuses), when it could
 * run I/O or timers, or when folding the same events twice does not give the same result. Each
 * check returns the list of problems in words a type author can act on; empty means accepted.
 */

/** A custom type refused at load; the message names the module (or type) and every problem. */
export class TransTypeRefused extends Error {
  override readonly name = 'TransTypeRefused';
}

/** dtm's type names: built into dtx now or later, so never available to custom types. */
export const RESERVED_TYPE_NAMES: readonly string[] = ['saga', 'msg', 'tcc', 'xa', 'workflow'];
/** Top-level states are the transaction status the engine reports (`idle` = not created yet). */
export const STATE_NAMES: readonly string[] = ['idle', 'prepared', 'submitted', 'aborting', 'succeed', 'failed'];
const ALLOWED_BUILTIN_ACTIONS: ReadonlySet<string> = new Set(['xstate.assign', 'xstate.enqueueActions', 'xstate.raise']);
const EVENTS: ReadonlySet<string> = new Set(TRANS_EVENT_TYPES);
const EFFECTS: ReadonlySet<string> = new Set(EFFECT_TYPES);

interface NodeLike {
  readonly key: string;
  readonly id: string;
  readonly type: string;
  readonly states: Readonly<Record<string, NodeLike>>;
  readonly transitions: ReadonlyMap<string, ReadonlyArray<{ readonly actions: readonly unknown[] }>>;
  readonly always?: ReadonlyArray<{ readonly actions: readonly unknown[] }>;
  readonly initial?: { readonly target: readonly NodeLike[]; readonly actions: readonly unknown[] };
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly after: readonly unknown[];
  readonly invoke: ReadonlyArray<{ readonly src: unknown }>;
}

function actionProblem(where: string, action: unknown): string | undefined {
  if (typeof action === 'string') return EFFECTS.has(action) ? undefined : `${where} names action '${action}', which is not a dtx effect (${EFFECT_TYPES.join('|')})`;
  const type = (action as { type?: unknown } | null)?.type;
  if (typeof action === 'function' && typeof type === 'string' && type.startsWith('xstate.')) {
    if (!ALLOWED_BUILTIN_ACTIONS.has(type)) return `${where} uses '${type}': only assign, enqueueActions and raise (without delay) are allowed`;
    if (type === 'xstate.raise' && (action as { delay?: unknown }).delay !== undefined) return `${where} raises an event with a delay: no timers, time enters as event 'at'`;
    return undefined;
  }
  if (typeof action === 'function') return `${where} has an inline function action: name effects (${EFFECT_TYPES.join('|')}) and update context with assign/enqueueActions`;
  if (typeof type === 'string') return EFFECTS.has(type) ? undefined : `${where} names action '${type}', which is not a dtx effect (${EFFECT_TYPES.join('|')})`;
  return `${where} has an action of unknown shape`;
}

function walk(node: NodeLike, problems: string[]): void {
  const at = `state '${node.id}'`;
  if (node.invoke.length > 0) problems.push(`${at} invokes ${node.invoke.map((i) => `'${String(i.src)}'`).join(', ')}: machines name effects, they never run actors`);
  if (node.after.length > 0) problems.push(`${at} has delayed (after) transitions: no timers, due times come from nextCronTime/dueAt`);
  const check = (where: string, actions: readonly unknown[]) => {
    for (const a of actions) {
      const p = actionProblem(where, a);
      if (p !== undefined) problems.push(p);
    }
  };
  check(`${at} entry`, node.entry);
  check(`${at} exit`, node.exit);
  if (node.initial) check(`${at} initial`, node.initial.actions);
  for (const t of node.always ?? []) check(`${at} always`, t.actions);
  for (const [event, transitions] of node.transitions) {
    if (event.startsWith('xstate.after.')) continue; // reported above
    if (!EVENTS.has(event)) problems.push(`${at} handles event '${event}', which is not in the dtx vocabulary (${TRANS_EVENT_TYPES.join(', ')})`);
    for (const t of transitions) check(`${at} on ${event}`, t.actions);
  }
  for (const child of Object.values(node.states)) walk(child, problems);
}

/** Vocabulary and shape: events, effects, statuses, no actors or timers, a free and valid name. */
export function checkVocabulary(def: TransTypeDefinition, taken: Iterable<string> = RESERVED_TYPE_NAMES): string[] {
  const problems: string[] = [];
  if (typeof def !== 'object' || def === null) return ['the definition is not an object {name, machine, ...}'];
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(def.name)) problems.push(`name '${String(def.name)}' must match ^[a-z][a-z0-9_-]{0,31}$`);
  else if ([...taken].includes(def.name)) problems.push(`name '${def.name}' clashes with a built-in or already registered trans type: register a new name`);
  for (const hook of ['validate', 'dueAt', 'outstanding', 'topics'] as const) {
    if (def[hook] !== undefined && typeof def[hook] !== 'function') problems.push(`${hook} must be a function`);
  }
  const machine = def.machine as AnyStateMachine | undefined;
  const root = (machine as { root?: NodeLike } | undefined)?.root;
  if (machine === undefined || root === undefined || typeof machine.implementations !== 'object') return [...problems, 'machine is not an XState v5 machine (use transSetup.createMachine)'];
  const impl = machine.implementations;
  const extraActions = Object.keys(impl.actions).filter((a) => !EFFECTS.has(a));
  if (extraActions.length > 0) problems.push(`machine implements actions ${extraActions.map((a) => `'${a}'`).join(', ')}: only the effects ${EFFECT_TYPES.join('|')} may be declared`);
  if (Object.keys(impl.actors).length > 0) problems.push(`machine declares actors (${Object.keys(impl.actors).join(', ')}): spawned or invoked actors are not allowed`);
  if (Object.keys(impl.delays).length > 0) problems.push(`machine declares delays (${Object.keys(impl.delays).join(', ')}): no timers`);
  walk(root, problems);
  const initial = root.initial?.target[0];
  if (initial?.key !== 'idle') problems.push(`the initial state must be 'idle' (the engine reads it as "not created yet"), not '${initial?.key ?? 'none'}'`);
  else if (!initial.transitions.has('TransCreated')) problems.push("the initial state 'idle' does not handle TransCreated");
  for (const s of Object.values(root.states)) {
    if (!STATE_NAMES.includes(s.key)) problems.push(`top-level state '${s.key}' is not a dtm status (${STATE_NAMES.join('|')}): the engine reports it as the transaction status`);
    if (s.type === 'compound' || s.type === 'parallel') problems.push(`top-level state '${s.key}' has child states: the state value must be a plain status string`);
  }
  return problems;
}

/** Vocabulary first; the probe only runs on a machine whose shape is acceptable. */
export function checkTransType(def: TransTypeDefinition, taken: Iterable<string> = RESERVED_TYPE_NAMES): string[] {
  const problems = checkVocabulary(def, taken);
  return problems.length > 0 ? problems : probeDeterminism(def);
}

const FORBIDDEN_MODULES = /^(node:|fs$|fs\/|net$|http$|https$|http2$|child_process$|worker_threads$|cluster$|dgram$|dns$|tls$|os$|vm$|readline$|kafkajs$|pino$|express$|undici$|better-sqlite3$|@grpc\/)/;
const FORBIDDEN_CODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\s*\.\s*now\b/, 'Date.now (time enters as event at)'],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date() (time enters as event at)'],
  [/\bMath\s*\.\s*random\b/, 'Math.random (machines are deterministic)'],
  [/\bperformance\s*\.\s*now\b/, 'performance.now (time enters as event at)'],
  [/\b(setTimeout|setInterval|setImmediate)\b/, 'timers (due times come from nextCronTime/dueAt)'],
  [/(?<![\w$.])process\s*\./, 'process. (no environment or process state)'],
  [/(?<![\w$.])fetch\s*\(/, 'fetch( (machines name callBranch effects, they never call)'],
];

/**
 * Static purity scan of a type's module file and of the local files it imports (one level):
 * no I/O modules, no clock, randomness, timers, process state or network calls.
 */
export function checkSourcePurity(file: string): string[] {
  const problems: string[] = [];
  const scanFile = (f: string, follow: boolean) => {
    const rel = path.relative(process.cwd(), f);
    const shown = rel === '' || rel.startsWith('..') ? f : rel;
    const src = scanSource(readFileSync(f, 'utf8'));
    for (const spec of src.imports) {
      if (FORBIDDEN_MODULES.test(spec)) problems.push(`${shown} imports '${spec}': machines must stay pure (no I/O modules)`);
    }
    if (src.computedImports > 0) problems.push(`${shown} imports a computed module specifier: imports must be static`);
    for (const [re, what] of FORBIDDEN_CODE) if (re.test(src.code)) problems.push(`${shown} uses ${what}`);
    if (!follow) return;
    for (const spec of src.imports.filter((s) => s.startsWith('./') || s.startsWith('../'))) {
      const local = path.resolve(path.dirname(f), spec);
      // A TypeScript source imports its siblings by their compiled name (`./x.js` is `./x.ts`).
      const found = [local, local.replace(/\.(m|c)?js$/, '.$1ts')].find((p) => existsSync(p));
      if (found !== undefined) scanFile(found, false);
    }
  };
  scanFile(file, true);
  return problems;
}
