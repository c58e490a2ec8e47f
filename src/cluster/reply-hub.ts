import { errorReply, type Reply } from '../engine/command.js';
import { NoOwner } from '../errors.js';

interface Waiter {
  readonly resolve: (r: Reply) => void;
  readonly timer: NodeJS.Timeout;
  readonly partition: number;
}

/** Told which worker decided a command of `partition` (the sender of its reply). */
export type OwnerSeen = (partition: number, owner: string) => void;

/**
 * The ingress side of a command sent through Kafka: one waiter per request id, answered by the
 * owner's reply or, when none comes in time, by a retryable NoOwner (503) naming the partition.
 */
export class ReplyHub {
  readonly #waiters = new Map<string, Waiter>();
  #next = 0;
  #ownerSeen: OwnerSeen | undefined;

  /** From now on, every reply that names its sender tells `seen` who owns the request's partition. */
  observeOwners(seen: OwnerSeen | undefined): void {
    this.#ownerSeen = seen;
  }

  newRequestId(): string {
    this.#next += 1;
    return this.#next.toString(36);
  }

  expect(requestId: string, timeoutMs: number, partition: number): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(requestId);
        resolve(errorReply(`no worker answered for partition ${partition} within ${Math.round(timeoutMs / 1000)} s (no owner yet, or a rebalance is running); retry`, NoOwner.code));
      }, timeoutMs);
      timer.unref();
      this.#waiters.set(requestId, { resolve, timer, partition });
    });
  }

  /**
   * Answers a waiter; a reply for an unknown (timed out, duplicate) request is ignored. `owner`:
   * the worker that decided it, when it came from another one.
   */
  deliver(requestId: string, reply: Reply, owner?: string): void {
    const w = this.#waiters.get(requestId);
    if (w === undefined) return;
    this.#waiters.delete(requestId);
    clearTimeout(w.timer);
    if (owner !== undefined) this.#ownerSeen?.(w.partition, owner);
    w.resolve(reply);
  }

  /** Answers every waiter at once (produce failed, shutdown). */
  failAll(reply: Reply, ids?: readonly string[]): void {
    for (const id of ids ?? [...this.#waiters.keys()]) this.deliver(id, reply);
  }

  get size(): number {
    return this.#waiters.size;
  }
}
