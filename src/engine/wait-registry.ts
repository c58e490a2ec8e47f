import { isSettled, waitOutcome } from '../../machines/index.js';
import type { Reply } from './command.js';
import type { LiveTransaction } from './live-transaction.js';
import type { Clock } from './clock.js';

/**
 * wait_result (spec §7.1): a submit is answered once its pass settled — the transaction finished
 * or no call is out any more — or when the pass time limit expires. An abort of a transaction
 * stored with wait_result waits the same way (spec §5.6); its rollback ending in `failed` is its
 * success, where for a submit it is a FAILURE.
 */
export type WaitingCall = 'submit' | 'abort';

export class WaitRegistry {
  readonly #waits = new Map<string, Array<{ resolve: (r: Reply) => void; timer: unknown; call: WaitingCall }>>();

  constructor(
    private readonly clock: Clock,
    private readonly passLimitMs: (live: LiveTransaction) => number,
    /** The transaction's current state: a batch replaces the object it was given by a newer one. */
    private readonly current: (gid: string) => LiveTransaction | undefined = () => undefined,
  ) {}

  /**
   * Waits for `live`'s pass to settle; a pass settled already is answered at once (as `check`
   * would in the same turn) without a timer or an entry: a submit that finishes in its first
   * commit (an empty saga, a msg) then leaves nothing behind to collect (docs/benchmarks.md,
   * "Responses in flight without a Set").
   */
  add(live: LiveTransaction, resolve: (r: Reply) => void, call: WaitingCall = 'submit'): void {
    if (isSettled(live.context, live.status)) {
      resolve(replyOf(live, call));
      return;
    }
    const list = this.#waits.get(live.gid) ?? [];
    const entry = {
      resolve,
      call,
      timer: this.clock.setTimeout(() => {
        const l = this.#waits.get(live.gid);
        if (l === undefined) return;
        const i = l.indexOf(entry);
        if (i >= 0) l.splice(i, 1);
        if (l.length === 0) this.#waits.delete(live.gid);
        resolve(replyOf(this.current(live.gid) ?? live, call));
      }, this.passLimitMs(live)),
    };
    list.push(entry);
    this.#waits.set(live.gid, list);
  }

  has(gid: string): boolean {
    return this.#waits.has(gid);
  }

  /** Answers every waiter with `reply` (the engine stops: their passes will not settle here). */
  failAll(reply: Reply): void {
    for (const list of this.#waits.values()) {
      for (const w of list) {
        this.clock.clearTimeout(w.timer);
        w.resolve(reply);
      }
    }
    this.#waits.clear();
  }

  /** Resolves the waiters of `live` if its pass settled. */
  check(live: LiveTransaction): void {
    const list = this.#waits.get(live.gid);
    if (list === undefined || !isSettled(live.context, live.status)) return;
    this.#waits.delete(live.gid);
    for (const w of list) {
      this.clock.clearTimeout(w.timer);
      w.resolve(replyOf(live, w.call));
    }
  }
}

function replyOf(live: LiveTransaction, call: WaitingCall): Reply {
  if (call === 'abort' && live.status === 'failed') return { ok: true };
  const o = waitOutcome(live.context, live.status);
  return o.result === 'SUCCESS' ? { ok: true } : { ok: false, result: o.result, message: o.message };
}
