import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadBudget } from '../read-budget.js';

/**
 * HTTP request bodies against the shared `ReadBudget` (`HttpMaxBodyBytesInFlight`). Without a
 * total, four hundred connections each sending 1 MiB slowly held 400 MiB until node's request
 * timeout (300 s): any number of them could exhaust the machine's memory. A request reserves its
 * Content-Length (`HttpMaxBodyBytes` when chunked) before a byte is read and releases it once its
 * body is read or the exchange ends; a request that finds the budget spent (or gRPC calls waiting
 * for it) is answered 503 `DTX_OVERLOADED` (retryable) without reading its body. Requests a token
 * check will refuse before reading (Auth.Tokens) reserve nothing: they cannot spend the budget of
 * those that pass it.
 */
export class BodyBudget {
  readonly #budget: ReadBudget;
  readonly #maxBodyBytes: number;

  constructor(budget: ReadBudget, maxBodyBytes: number) {
    this.#budget = budget;
    this.#maxBodyBytes = maxBodyBytes;
  }

  get cap(): number {
    return this.#budget.cap;
  }

  /**
   * Reserves what `req`'s body may buffer (nothing when it has none); false when refused. The
   * reservation is released once: at the body's end, or when the exchange closes.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const bytes = this.#bytesOf(req);
    if (bytes === 0) return true;
    const release = this.#budget.tryReserve(bytes);
    if (release === undefined) return false;
    req.once('end', release);
    res.once('close', release); // also when the connection drops before the body's end
    return true;
  }

  #bytesOf(req: IncomingMessage): number {
    if (req.headers['transfer-encoding'] !== undefined) return this.#maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    // a larger declared body is refused (413) before it is read: it holds at most the limit
    return Number.isFinite(declared) && declared > 0 ? Math.min(declared, this.#maxBodyBytes) : 0;
  }
}
