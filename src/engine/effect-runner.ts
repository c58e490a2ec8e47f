import type { Logger } from 'pino';
import type { Effect } from '../../machines/index.js';
import type { Invoker } from '../invoker/invoker.js';
import type { Command } from './command.js';
import type { EngineSettings } from './engine-settings.js';
import type { LiveTransaction } from './live-transaction.js';
import type { EngineObserver } from './engine-observer.js';

/** Longest branch answer kept in an event: results are audit data, not a blob store. */
const MAX_MESSAGE = 2048;

/**
 * Performs effects whose events are durable: branch calls through the invoker (their results
 * come back as branchResult commands) and the alert webhook.
 */
export class EffectRunner {
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly invoker: Invoker,
    private readonly settings: EngineSettings,
    private readonly logger: Logger,
    private readonly dispatch: (cmd: Command) => void,
    private readonly observer?: EngineObserver,
  ) {}

  perform(live: LiveTransaction, effects: readonly Effect[]): void {
    const ctx = live.context;
    for (const e of effects) {
      if (e.type === 'callBranch') {
        const p = e.params;
        const timeoutS = ctx.options.requestTimeout > 0 ? ctx.options.requestTimeout : ctx.limits.requestTimeout;
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
          })
          .then((outcome) => {
            this.observer?.branchCalled?.(ctx.transType, p.branchId, p.op, outcome.result);
            if (outcome.result !== 'SUCCESS') {
              this.logger.warn({ gid: live.gid, branchId: p.branchId, op: p.op, url: p.url, result: outcome.result, message: outcome.message.slice(0, 200) }, 'branch call did not succeed');
            }
            this.dispatch({
              id: `res:${live.gid}:${p.branchId}:${p.op}:${p.attempt}`,
              gid: live.gid,
              kind: 'branchResult',
              branchId: p.branchId,
              op: p.op,
              attempt: p.attempt,
              result: outcome.result,
              // a success body carries nothing the machine needs: keep the log lean
              message: outcome.result === 'SUCCESS' ? '' : outcome.message.slice(0, MAX_MESSAGE),
            });
          });
        this.#track(call);
      } else if (e.type === 'notify' && this.settings.alertWebHook !== '') {
        this.logger.warn({ gid: live.gid, alert: e.params }, 'retry limit reached; posting alert webhook');
        this.#track(this.invoker.postJson(this.settings.alertWebHook, e.params, ctx.limits.requestTimeout * 1000));
      }
    }
  }

  /** Waits for calls in flight (graceful stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.logger.error({ err }, 'effect failed unexpectedly')).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
