import { BadRequest } from '../../errors.js';
import type { KvPage, KvRow } from '../event-log.js';
import type { KvChange } from '../kv-records.js';

/**
 * The KV projection of the memory log (same observable semantics as the SQLite table of
 * src/log/sqlite/sqlite-kv.ts): a row keeps its id across updates, a re-created key gets a new id,
 * reads come back in key order.
 */
export class MemoryKvTable {
  readonly #rows = new Map<string, KvRow>();
  #lastId = 0;

  apply(changes: readonly KvChange[]): void {
    for (const c of changes) {
      const key = `${c.cat}\u0000${c.k}`;
      if (c.op === 'delete') {
        this.#rows.delete(key);
        continue;
      }
      const prev = this.#rows.get(key);
      const id = prev?.id ?? ++this.#lastId;
      this.#rows.set(key, { id, cat: c.cat, k: c.k, v: c.v, version: c.version, createTime: prev?.createTime ?? c.at, updateTime: c.at });
    }
  }

  scan(cat: string, position: string, limit: number): KvPage {
    checkLimit(limit);
    const rows = this.#sorted().filter((r) => cat !== '' && r.cat === cat && (position === '' || compareKeys(r.k, position) > 0)).slice(0, limit);
    return { rows, nextPosition: rows.length < limit ? '' : rows.at(-1)!.k };
  }

  query(cat: string, key: string): KvRow[] {
    return this.#sorted().filter((r) => (cat === '' || r.cat === cat) && (key === '' || r.k === key));
  }

  #sorted(): KvRow[] {
    return [...this.#rows.values()].map((r) => ({ ...r })).sort((a, b) => compareKeys(a.cat, b.cat) || compareKeys(a.k, b.k));
  }
}

/**
 * Key order shared by every adapter: UTF-8 byte order (SQLite's BINARY collation on UTF-8 text).
 * JavaScript's `<` compares UTF-16 code units, which differs for characters above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new BadRequest(`invalid limit: ${limit}`);
}
