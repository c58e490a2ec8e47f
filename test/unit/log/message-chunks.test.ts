import { describe, expect, it } from 'vitest';
import { chunksByBytes, chunksBySize, messageBytes } from '../../../src/log/kafka/message-chunks.js';

/** Produce requests cut by bytes: a partition's record batch must stay under max.message.bytes. */
describe('message chunks', () => {
  it('counts key, value and every header value in bytes (UTF-8), plus a per-record overhead', () => {
    const bare = messageBytes({ value: null });
    expect(messageBytes({ key: 'gid', value: 'é', headers: { h: Buffer.from('abc'), many: ['x', 'yz'] } })).toBe(bare + 3 + 2 + (1 + 3 + 4) + (4 + 1 + 4) + (4 + 2 + 4));
  });

  it('keeps order, closes a chunk before it would pass the bound, and sends a larger message alone', () => {
    expect(chunksBySize([3, 3, 3, 10, 1, 1], (n) => n, 6)).toEqual([[3, 3], [3], [10], [1, 1]]);
    expect(chunksBySize([], (n: number) => n, 6)).toEqual([]);
    const value = 'v'.repeat(200_000);
    const chunks = chunksByBytes(Array.from({ length: 8 }, () => ({ value })));
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2]); // 512 KiB holds two of 200 KB
    expect(chunksByBytes([{ value: 'v'.repeat(2_000_000) }, { value: 'w' }])).toHaveLength(2);
  });
});
