import pino, { type Logger } from 'pino';
import { createBuiltinRegistry, EMPTY_OPTIONS, type TransSpec, type TransTypeRegistry } from '../../../machines/index.js';
import type { Command, Reply } from '../../../src/engine/command.js';
import { Engine } from '../../../src/engine/engine.js';
import type { EngineObserver } from '../../../src/engine/engine-observer.js';
import type { EngineSettings } from '../../../src/engine/engine-settings.js';
import { LogUnavailable } from '../../../src/errors.js';
import type { BranchCall, BranchOutcome, Invoker } from '../../../src/invoker/invoker.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { MemoryEventLog, MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { settle, SimulatedClock } from '../../support/simulated-clock.js';

/**
 * The engine in-process (STYLE L21): the memory log (with scripted append failures), a scripted
 * invoker and a simulated clock through which every engine timer goes. No network, no real time.
 */

/** The memory log whose next appends can be made to fail. */
export class FlakyLog extends MemoryEventLog {
  readonly appends: LogRecord[][] = [];
  #failures: Array<(records: readonly LogRecord[]) => boolean> = [];

  /** The next append whose records satisfy `when` (default: any) rejects with LogUnavailable, once. */
  failNext(when: (records: readonly LogRecord[]) => boolean = () => true): void {
    this.#failures.push(when);
  }

  override async append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    const i = this.#failures.findIndex((f) => f(records));
    if (i >= 0) {
      this.#failures.splice(i, 1);
      throw new LogUnavailable('scripted append failure');
    }
    await super.append(records, summaries);
    this.appends.push([...records]);
  }
}

type Script = (call: BranchCall) => BranchOutcome | Promise<BranchOutcome>;

/** Records every call; answers through a script per `branchId/op` (default SUCCESS), or holds it for the test. */
export class ScriptedInvoker implements Invoker {
  readonly calls: BranchCall[] = [];
  readonly #scripts = new Map<string, Script>();

  on(branchOp: string, script: Script | BranchOutcome): this {
    this.#scripts.set(branchOp, typeof script === 'function' ? script : () => script);
    return this;
  }

  /** The next calls of `branchOp` wait until the returned function answers them. */
  hold(branchOp: string): (outcome: BranchOutcome) => void {
    const waiting: Array<(o: BranchOutcome) => void> = [];
    this.on(branchOp, () => new Promise<BranchOutcome>((r) => waiting.push(r)));
    return (o) => {
      for (const r of waiting.splice(0)) r(o);
    };
  }

  callsTo(gid: string, branchOp?: string): BranchCall[] {
    return this.calls.filter((c) => c.gid === gid && (branchOp === undefined || `${c.branchId}/${c.op}` === branchOp));
  }

  async call(call: BranchCall): Promise<BranchOutcome> {
    this.calls.push(call);
    const script = this.#scripts.get(`${call.branchId}/${call.op}`);
    return script === undefined ? SUCCESS : script(call);
  }

  postJson(): Promise<number | undefined> {
    return Promise.resolve(200);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const SUCCESS: BranchOutcome = { result: 'SUCCESS', message: '' };
export const FAILURE: BranchOutcome = { result: 'FAILURE', message: 'no money FAILURE', httpStatus: 409 };
export const ERROR: BranchOutcome = { result: 'ERROR', message: 'boom', httpStatus: 500 };

export const SETTINGS: EngineSettings = {
  partitions: 4,
  limits: { retryInterval: 10, timeoutToFail: 35, requestTimeout: 3, maxRetryInterval: 3600, alertRetryLimit: 3 },
  alertWebHook: '',
  maxBatch: 512,
  maxOpenPayloadBytes: 64 * 1024 * 1024,
};

export interface Harness {
  readonly engine: Engine;
  readonly log: FlakyLog;
  readonly invoker: ScriptedInvoker;
  readonly clock: SimulatedClock;
  /** What `Engine.start` rebuilt: open transactions and the events folded for them. */
  readonly recovery: { transactions: number; events: number };
  /** Sends a client command and lets the engine settle; resolves with its reply. */
  send(cmd: Command, wait?: boolean): Promise<Reply>;
  /** Stored event types of `gid`, in seq order. */
  events(gid: string): Promise<string[]>;
  status(gid: string): Promise<string | undefined>;
}

export interface EngineOptions {
  store?: MemoryLogStore;
  clock?: SimulatedClock;
  invoker?: ScriptedInvoker;
  registry?: TransTypeRegistry;
  settings?: Partial<EngineSettings>;
  /** EngineDeps.actAfter: effects wait for it */
  actAfter?: Promise<unknown>;
  /** default: a silent pino */
  logger?: Logger;
  observer?: EngineObserver;
}

export async function startEngine(opts: EngineOptions = {}): Promise<Harness> {
  const log = new FlakyLog(opts.store ?? new MemoryLogStore());
  const clock = opts.clock ?? new SimulatedClock();
  const invoker = opts.invoker ?? new ScriptedInvoker();
  const engine = new Engine({ log, registry: opts.registry ?? createBuiltinRegistry(), invoker, clock, logger: opts.logger ?? pino({ level: 'silent' }), settings: { ...SETTINGS, ...opts.settings }, ...(opts.actAfter ? { actAfter: opts.actAfter } : {}), ...(opts.observer ? { observer: opts.observer } : {}) });
  const recovery = await engine.start();
  await settle();
  return {
    engine, log, invoker, clock, recovery,
    async send(cmd, wait = false) {
      const reply = engine.dispatch(cmd, wait);
      await settle();
      return reply;
    },
    async events(gid) {
      return (await log.read(gid)).map((r) => r.type);
    },
    async status(gid) {
      const s = await log.getSummary(gid);
      return s?.status;
    },
  };
}

let n = 0;
export const cmdId = (kind: string): string => `test.${kind}:${++n}`;

/** A saga of `steps` (action/compensate URLs; '' = no call) as the schema would build it. */
export function sagaSpec(gid: string, steps: Array<[string, string]>, options: Partial<TransSpec['options']> = {}): TransSpec {
  return {
    gid, transType: 'saga', protocol: 'http', steps: steps.map(([action, compensate]) => ({ action, compensate })),
    payloads: steps.map(() => Buffer.from('{}').toString('base64')), customData: '', queryPrepared: '', options: { ...EMPTY_OPTIONS, ...options }, rollbackReason: '',
  };
}

export const submit = (spec: TransSpec): Command => ({ id: cmdId('submit'), gid: spec.gid, kind: 'submit', spec });
