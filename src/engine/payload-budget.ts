/**
 * The memory bound of open transactions (`MaxOpenPayloadBytes`): request bytes (payloads,
 * custom_data, URLs, headers) of the transactions this process holds. New transactions are refused
 * with a retryable 503 while the cap would be passed; nothing already acknowledged is ever dropped,
 * so recovery may start above the cap and creations wait until transactions finish.
 */
export class PayloadBudget {
  #used = 0;

  constructor(readonly cap: number) {}

  get used(): number {
    return this.#used;
  }

  /** Whether holding `bytes` more would pass the cap. */
  exceeds(bytes: number): boolean {
    return this.#used + bytes > this.cap;
  }

  add(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
