import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, enqueueActions, fromPromise, raise, setup, spawnChild } from 'xstate';
import { EMPTY_CONTEXT, msgMachine, sagaMachine, transSetup, update, type TransContext, type TransEvent, type TransTypeDefinition } from '../../../machines/index.js';
import { checkSourcePurity, checkTransType, checkVocabulary } from '../../../src/extensions/trans-type-checks.js';
import { probeDeterminism } from '../../../src/extensions/determinism-probe.js';
import { transType as quorumType } from '../../../examples/quorum/index.js';
import { tempDir } from '../../support/temp-dir.js';

/** Load-time refusal of custom types (docs/custom-types.md): each rule, its message. */

const created = { TransCreated: { target: 'submitted' as const } };
/** A minimal acceptable type built with the kit; `states` replaces parts of it. */
function typeWith(states: Record<string, unknown>, name = 'custom'): TransTypeDefinition {
  const machine = transSetup.createMachine({ id: name, context: EMPTY_CONTEXT, initial: 'idle', states: { idle: { on: created }, submitted: {}, ...states } as never });
  return { name, machine: machine as unknown as TransTypeDefinition['machine'] };
}
const problemsOf = (def: TransTypeDefinition) => checkTransType(def, ['saga', 'msg', 'tcc', 'xa', 'workflow']).join('\n');

describe('accepted types', () => {
  it('accepts the quorum example and the built-in machines under a free name', () => {
    expect(checkTransType(quorumType)).toEqual([]);
    expect(checkTransType({ name: 'saga2', machine: sagaMachine })).toEqual([]);
    expect(checkTransType({ name: 'msg2', machine: msgMachine })).toEqual([]);
    expect(checkTransType(typeWith({}))).toEqual([]);
  });
});

describe('vocabulary violations', () => {
  it('refuses events outside the dtx vocabulary, at any depth', () => {
    expect(problemsOf(typeWith({ submitted: { on: { Poke: {} } } }))).toContain("state 'custom.submitted' handles event 'Poke', which is not in the dtx vocabulary");
    expect(problemsOf(typeWith({ submitted: { initial: 'a', states: { a: { on: { '*': {} } } } } }))).toContain("handles event '*'");
  });

  it('refuses implementation actions that are not effects', () => {
    const machine = setup({ actions: { callBranch: () => {}, sendMail: () => {} } }).createMachine({ initial: 'idle', states: { idle: { on: created }, submitted: {} } });
    expect(problemsOf({ name: 'custom', machine })).toContain("machine implements actions 'sendMail'");
  });

  it('refuses named actions, inline functions and forbidden xstate actions in transitions', () => {
    expect(problemsOf(typeWith({ submitted: { entry: 'sendMail' } }))).toContain("names action 'sendMail'");
    expect(problemsOf(typeWith({ submitted: { entry: () => {} } }))).toContain('inline function action');
    expect(problemsOf(typeWith({ submitted: { entry: spawnChild('x' as never) } }))).toContain("uses 'xstate.spawnChild'");
    expect(problemsOf(typeWith({ submitted: { entry: raise({ type: 'CronFired', at: 0 } as never, { delay: 1000 }) } }))).toContain('raises an event with a delay');
    expect(problemsOf(typeWith({ submitted: { entry: [assign({}), raise({ type: 'CronFired', at: 0 } as never)] } }))).toBe('');
  });

  it('refuses invoke, after, declared actors and delays', () => {
    const actors = setup({ actors: { poll: fromPromise(async () => 1) }, delays: { soon: 10 } }).createMachine({ initial: 'idle', states: { idle: { on: created }, submitted: { invoke: { src: 'poll' } } } });
    const text = problemsOf({ name: 'custom', machine: actors });
    expect(text).toContain("state '(machine).submitted' invokes 'poll'");
    expect(text).toContain('machine declares actors (poll)');
    expect(text).toContain('machine declares delays (soon)');
    expect(problemsOf(typeWith({ submitted: { after: { 1000: 'failed' } }, failed: {} }))).toContain('has delayed (after) transitions');
  });

  it('requires an idle initial state that handles TransCreated', () => {
    const noIdle = transSetup.createMachine({ context: EMPTY_CONTEXT, initial: 'start', states: { start: { on: created }, submitted: {} } });
    expect(problemsOf({ name: 'custom', machine: noIdle })).toContain("the initial state must be 'idle'");
    const deaf = transSetup.createMachine({ context: EMPTY_CONTEXT, initial: 'idle', states: { idle: {}, submitted: {} } });
    expect(problemsOf({ name: 'custom', machine: deaf })).toContain("the initial state 'idle' does not handle TransCreated");
  });

  it('requires top-level states to be plain dtm statuses', () => {
    expect(problemsOf(typeWith({ waiting: {} }))).toContain("top-level state 'waiting' is not a dtm status");
    expect(problemsOf(typeWith({ submitted: { initial: 'a', states: { a: {} } } }))).toContain("top-level state 'submitted' has child states");
  });

  it('refuses names of built-in and dtm types, and malformed names or definitions', () => {
    expect(problemsOf(typeWith({}, 'saga'))).toContain("name 'saga' clashes with a built-in or already registered trans type");
    expect(problemsOf(typeWith({}, 'tcc'))).toContain("name 'tcc' clashes");
    expect(problemsOf(typeWith({}, 'Bad Name'))).toContain('must match ^[a-z]');
    expect(checkVocabulary({ name: 'custom', machine: {} as never }).join()).toContain('not an XState v5 machine');
    expect(checkVocabulary({ name: 'custom', machine: sagaMachine, dueAt: 5 as never }).join()).toContain('dueAt must be a function');
  });
});

describe('determinism probe', () => {
  const withCreate = (fn: (ctx: TransContext, e: TransEvent) => TransContext) => typeWith({ idle: { on: { TransCreated: { target: 'submitted', actions: update(fn) } } } });

  it('refuses a machine reading the clock or randomness', () => {
    expect(problemsOf(withCreate((c) => ({ ...c, createTime: Date.now() })))).toContain('not deterministic: folding the same events twice gave different results at event #1 (TransCreated), at $.context.createTime');
    expect(problemsOf(withCreate((c) => ({ ...c, ext: { r: Math.random() } })))).toContain('at $.context.ext.r');
    expect(problemsOf(withCreate((c) => ({ ...c, updateTime: new Date().getTime() })))).toContain('not deterministic');
  });

  it('refuses a machine that mutates the previous snapshot', () => {
    const mutating = withCreate((c) => c);
    const def = typeWith({
      idle: { on: { TransCreated: { target: 'submitted', actions: update((c, e) => ({ ...c, updateTime: e.at })) } } },
      submitted: { on: { CronFired: { actions: update((c, e) => { (c as { updateTime: number }).updateTime = e.at; return { ...c }; }) } } },
    });
    expect(checkTransType(mutating)).toEqual([]);
    expect(problemsOf(def)).toContain("CronFired mutated the previous snapshot's context (at $.updateTime)");
  });

  it('refuses actors spawned or timers raised at run time', () => {
    const dynamic = setup({ actors: {} }).createMachine({
      initial: 'idle',
      states: { idle: { on: { TransCreated: { target: 'submitted', actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'CronFired', at: 1 }, { delay: 5 })) } } }, submitted: {} },
    });
    expect(probeDeterminism({ name: 'custom', machine: dynamic }).join()).toContain('returned a delayed raise');
  });

  it('reports a machine that throws', () => {
    const thrower = withCreate(() => {
      throw new Error('boom');
    });
    expect(problemsOf(thrower)).toMatch(/threw during the determinism probe: .*boom|put the machine in error: .*boom/);
  });

  it('uses the type\'s probeSpec when it has one', () => {
    const spec = { ...quorumType, name: 'quorum2', probeSpec: { ...probeSpecOf(), customData: '{"quorum":3}' } };
    expect(checkTransType(spec)).toEqual([]);
  });
});

function probeSpecOf() {
  return {
    gid: 'p', transType: 'quorum2', protocol: 'http', steps: [1, 2, 3].map((k) => ({ action: `http://p/a${k}`, compensate: `http://p/c${k}` })),
    payloads: ['e30=', 'e30=', 'e30='], customData: '', queryPrepared: '', rollbackReason: '',
    options: { waitResult: false, timeoutToFail: 0, requestTimeout: 0, retryInterval: 0, branchHeaders: {}, retryLimit: 0, concurrent: false },
  };
}

describe('source purity scan', () => {
  const dir = tempDir('dtx-purity-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('accepts the quorum example sources and clean modules, ignoring comments and strings', () => {
    expect(checkSourcePurity(path.resolve('examples/quorum/index.ts'))).toEqual([]);
    const clean = file('clean.mjs', "// never Date.now() or process.env here\nconst help = 'fetch( and Math.random are not used';\n/* setTimeout */ export const x = `${help}`;\n");
    expect(checkSourcePurity(clean)).toEqual([]);
  });

  it.each([
    ["import { readFileSync } from 'node:fs';", "imports 'node:fs'"],
    ["import net from 'net';", "imports 'net'"],
    ["export { get } from 'http';", "imports 'http'"],
    ["const cp = await import('child_process');", "imports 'child_process'"],
    ["import { Worker } from 'worker_threads';", "imports 'worker_threads'"],
    ['const m = await import(name);', 'computed module specifier'],
    ['export const t = Date.now();', 'uses Date.now'],
    ['export const t = new Date();', 'uses new Date()'],
    ['export const r = Math.random();', 'uses Math.random'],
    ['setTimeout(() => {}, 1);', 'uses timers'],
    ['export const e = process.env.X;', 'uses process.'],
    ["await fetch('http://x');", 'uses fetch('],
  ])('refuses %s', (src, message) => {
    const f = file(`bad-${Math.abs(hash(src))}.mjs`, `${src}\n`);
    expect(checkSourcePurity(f).join('\n')).toContain(message);
  });

  it('follows local imports one level deep, naming the offending file', () => {
    file('helper.mjs', 'export const seed = Math.random();\n');
    file('deeper.mjs', "import 'node:fs';\n");
    file('middle.mjs', "import './deeper.mjs';\nexport const m = 1;\n");
    const entry = file('entry.mjs', "import { seed } from './helper.mjs';\nimport './middle.mjs';\nexport const transType = seed;\n");
    const problems = checkSourcePurity(entry);
    expect(problems.join('\n')).toMatch(/helper\.mjs uses Math\.random/);
    expect(problems.join('\n')).not.toContain('deeper.mjs');
  });
});

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
