import type Database from 'better-sqlite3';

/**
 * Bits of the filter: 1 MiB. With GID_FILTER_HASHES probes a lookup of an unknown gid finds all its
 * bits set (a false positive: the read it saves happens after all) for 0.005% of gids at 300,000
 * gids in the log, 1% at 870,000 and 17% at 1.9 million (measured, as the theory gives); it never
 * grows.
 */
export const GID_FILTER_BITS = 1 << 23;
export const GID_FILTER_HASHES = 6;

/** Gids read per step while the filter is filled from the log (one step per event-loop turn). */
const FILL_PAGE = 20_000;

/**
 * A Bloom filter of the gids the embedded log holds, so that the engine's read of a gid the log
 * has never seen (every new transaction's first command) costs no SQLite read: on the serving
 * connection (its page cache is 2 MiB) such a read walks the gid index from the WAL and the OS,
 * ~10% of the main thread's CPU per empty saga when it was measured, with a writer thread's
 * commits emptying that cache (docs/benchmarks.md, "New gids without a read").
 *
 * `mayHave(gid) === false` is a promise that the log has no event of `gid`: every gid is added
 * before its first append is handed to SQLite, and the gids already in the file are added by
 * `fill` before the filter answers anything but true. One process owns the log (dtx.lock), so
 * nothing else writes to it meanwhile.
 */
export class GidFilter {
  readonly #words = new Uint32Array(GID_FILTER_BITS / 32);
  #complete = false;

  /** Whether every gid of the log is in: until then `mayHave` answers true. */
  get complete(): boolean {
    return this.#complete;
  }

  add(gid: string): void {
    hash(gid);
    for (let k = 0; k < GID_FILTER_HASHES; k++) {
      const bit = (h1 + Math.imul(k, h2)) & (GID_FILTER_BITS - 1);
      this.#words[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** false: the log holds no event of `gid`; true: it may. */
  mayHave(gid: string): boolean {
    if (!this.#complete) return true;
    hash(gid);
    for (let k = 0; k < GID_FILTER_HASHES; k++) {
      const bit = (h1 + Math.imul(k, h2)) & (GID_FILTER_BITS - 1);
      if ((this.#words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /**
   * Adds every gid of `db`'s `gids` table, FILL_PAGE at a time, one page per turn of the event loop
   * (a large log does not hold up serving); gids appended meanwhile are added by the log as they
   * are written. Resolves once complete; rejects (and stays incomplete, answering true) when a
   * read fails.
   */
  fill(db: Database.Database): Promise<void> {
    return new Promise((resolve, reject) => {
      let page: Database.Statement<[number, number], [number, string]> | undefined;
      let after = 0;
      const step = () => {
        try {
          page ??= db.prepare<[number, number], [number, string]>('SELECT id, gid FROM gids WHERE id > ? ORDER BY id LIMIT ?').raw(true);
          const rows = page.all(after, FILL_PAGE);
          for (const [, gid] of rows) this.add(gid);
          if (rows.length === FILL_PAGE) {
            after = rows[rows.length - 1]![0];
            setImmediate(step);
            return;
          }
          this.#complete = true;
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      };
      step();
    });
  }
}

/** The two hashes of the last `hash` call (no allocation per probe). */
let h1 = 0;
let h2 = 0;

/**
 * Two 32-bit FNV-1a-style hashes of the gid's UTF-16 code units (different primes, each
 * finalised); the filter's bit positions are h1 + k * h2 (double hashing, h2 odd).
 */
function hash(gid: string): void {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ gid.length;
  for (let i = 0; i < gid.length; i++) {
    const c = gid.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  h1 = fmix(a);
  h2 = fmix(b) | 1;
}

/** MurmurHash3's finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
