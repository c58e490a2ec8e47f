import type { Logger } from 'pino';
import type { AlertParams, CallBranchParams, CallResult, Effect } from '../../machines/index.js';
import type { Invoker } from '../invoker/invoker.js';
import type { Command } from './command.js';
import type { EngineSettings } from './engine-settings.js';
import type { LiveTransaction } from './live-transaction.js';
import type { EngineObserver } from './engine-observer.js';

/** The cancellation of a transaction's calls not started yet (read by the invoker as a `CallCancel`). */
interface CancelFlag {
  aborted: boolean;
  reason: unknown;
}

/** Longest branch answer kept in an event: results are audit data, not a blob store. */
const MAX_MESSAGE = 2048;

/**
 * Performs effects whose events are durable: branch calls through the invoker (their results
 * come back as branchResult commands) and the alert webhook. A call that throws instead of
 * answering (a bug) still comes back, as an ERROR result, so its transaction backs off instead of
 * waiting for a result that never comes. `cancel(gid)` stops the calls of a transaction whose end
 * is durable from starting (those waiting for a connection are dropped).
 */
export class EffectRunner {
  readonly #pending = new Set<Promise<unknown>>();
  readonly #calls = new Map<string, { cancel: CancelFlag; open: number }>();
  /** Effects of durable events that wait for `actAfter` (undefined once it settled). */
  #held: Array<[LiveTransaction, readonly Effect[]]> | undefined;
  readonly #ended = new Set<string>();

  /**
   * `actAfter`: nothing is performed before it resolves (held effects are then performed in order;
   * calls of a transaction that ended meanwhile are dropped). The composition root resolves it once
   * the ingress listens, so a call re-driven at recovery that calls dtx back (a workflow's resume
   * callback runs the workflow against dtx) finds dtx listening.
   */
  constructor(
    private readonly invoker: Invoker,
    private readonly settings: EngineSettings,
    private readonly logger: Logger,
    private readonly dispatch: (cmd: Command) => void,
    private readonly observer?: EngineObserver,
    actAfter?: Promise<unknown>,
  ) {
    if (actAfter === undefined) return;
    this.#held = [];
    void actAfter.then(() => {
      const held = this.#held ?? [];
      this.#held = undefined;
      for (const [live, effects] of held) {
        this.perform(live, this.#ended.has(live.gid) ? effects.filter((e) => e.type !== 'callBranch') : effects);
      }
      this.#ended.clear();
    }, () => undefined);
  }

  perform(live: LiveTransaction, effects: readonly Effect[]): void {
    if (this.#held !== undefined) {
      this.#held.push([live, effects]);
      return;
    }
    for (const e of effects) {
      try {
        if (e.type === 'callBranch') this.#call(live, e.params);
        else if (e.type === 'notify') this.alert(e.params, live.context.limits.requestTimeout);
      } catch (err) {
        this.logger.error({ err, gid: live.gid, effect: e.type }, 'effect could not be started');
      }
    }
  }

  /** Posts an alert to the webhook (spec §8.5), when one is configured. */
  alert(params: AlertParams, timeoutSeconds: number): void {
    if (this.settings.alertWebHook === '') return;
    this.logger.warn({ gid: params.gid, alert: params }, 'posting alert webhook');
    this.#track(this.invoker.postJson(this.settings.alertWebHook, params, timeoutSeconds * 1000));
  }

  /** The calls of `gid` that have not started yet never start. */
  cancel(gid: string): void {
    if (this.#held !== undefined) this.#ended.add(gid);
    const entry = this.#calls.get(gid);
    if (entry === undefined) return;
    this.#calls.delete(gid);
    entry.cancel.aborted = true;
    entry.cancel.reason = new Error(`transaction ${gid} finished (force-stopped or done); call not started`);
  }

  /**
   * Waits until no call or webhook is in flight (graceful stop), including the calls started by
   * results that arrive meanwhile; the caller bounds the wait.
   */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #call(live: LiveTransaction, p: CallBranchParams): void {
    const ctx = live.context;
    const timeoutS = ctx.options.requestTimeout > 0 ? ctx.options.requestTimeout : ctx.limits.requestTimeout;
    const signal = this.#signalOf(live.gid);
    const result = (r: { result: CallResult; message: string; notStarted?: true }) => {
      // a call dropped before it was sent has no result; one that ran reports it even if the
      // transaction ended meanwhile (a machine may record a late answer, e.g. quorum's losers)
      if (r.notStarted === true) return;
      this.observer?.branchCalled?.(ctx.transType, p.branchId, p.op, r.result);
      if (r.result !== 'SUCCESS') {
        this.logger.warn({ gid: live.gid, branchId: p.branchId, op: p.op, url: p.url, result: r.result, message: r.message.slice(0, 200) }, 'branch call did not succeed');
      }
      this.dispatch({
        id: `res:${live.gid}:${p.branchId}:${p.op}:${p.attempt}`,
        gid: live.gid,
        kind: 'branchResult',
        branchId: p.branchId,
        op: p.op,
        attempt: p.attempt,
        result: r.result,
        // a success body carries nothing the machine needs: keep the log lean
        message: r.result === 'SUCCESS' ? '' : r.message.slice(0, MAX_MESSAGE),
      });
    };
    const call = this.invoker
      .call({
        gid: live.gid,
        transType: ctx.transType,
        branchId: p.branchId,
        op: p.op,
        url: p.url,
        protocol: ctx.protocol,
        payload: Buffer.from(p.payload, 'base64'),
        headers: ctx.options.branchHeaders,
        timeoutMs: timeoutS * 1000,
        ...(p.forcePost ? { forcePost: true } : {}),
        ...(p.wrapIn ? { wrapIn: p.wrapIn } : {}),
        signal,
      })
      .then(result, (err: unknown) => {
        this.logger.error({ err, gid: live.gid, branchId: p.branchId, op: p.op }, 'branch call threw; recorded as an error result');
        result({ result: 'ERROR', message: `dtx could not call the branch: ${String(err)}` });
      })
      .finally(() => this.#release(live.gid, signal));
    this.#track(call);
  }

  #signalOf(gid: string): CancelFlag {
    let entry = this.#calls.get(gid);
    if (entry === undefined) {
      entry = { cancel: { aborted: false, reason: undefined }, open: 0 };
      this.#calls.set(gid, entry);
    }
    entry.open += 1;
    return entry.cancel;
  }

  #release(gid: string, signal: CancelFlag): void {
    const entry = this.#calls.get(gid);
    if (entry === undefined || entry.cancel !== signal) return;
    entry.open -= 1;
    if (entry.open === 0) this.#calls.delete(gid);
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.logger.error({ err }, 'effect failed unexpectedly')).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
