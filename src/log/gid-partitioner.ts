/**
 * Kafka's default partitioner (murmur2 of the UTF-8 key, made positive, mod P), so a gid routes
 * to the same partition here as a Kafka record keyed by that gid does.
 */
export function murmur2(key: string): number {
  const data = Buffer.from(key, 'utf8');
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionOf(gid: string, partitions: number): number {
  return (murmur2(gid) & 0x7fffffff) % partitions;
}

/** A batch split by the partition of each gid, in the batch's order within each partition. */
export function sharesOf<R extends { readonly gid: string }, S extends { readonly gid: string }>(records: readonly R[], summaries: readonly S[], partitions: number): Map<number, { records: R[]; summaries: S[] }> {
  const shares = new Map<number, { records: R[]; summaries: S[] }>();
  const share = (gid: string) => {
    const p = partitionOf(gid, partitions);
    let s = shares.get(p);
    if (s === undefined) shares.set(p, (s = { records: [], summaries: [] }));
    return s;
  };
  for (const r of records) share(r.gid).records.push(r);
  for (const s of summaries) share(s.gid).summaries.push(s);
  return shares;
}

/** The first gid of `items` that does not belong to partition `p`, or undefined when all do. */
export function strayGid(p: number, items: Iterable<{ readonly gid: string }>, partitions: number): string | undefined {
  for (const x of items) if (partitionOf(x.gid, partitions) !== p) return x.gid;
  return undefined;
}
