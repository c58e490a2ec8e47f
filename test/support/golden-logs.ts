import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createBuiltinRegistry, type TransTypeRegistry } from '../../machines/index.js';
import { transType as quorumType } from '../../examples/quorum/index.js';
import { decodeRecord } from '../../src/log/codec.js';
import type { LogRecord } from '../../src/log/event-log.js';

/** The recorded event logs (STYLE L13): `test/fixtures/event-logs/`, version directory `v1`. */
export const GOLDEN_DIR = path.resolve(import.meta.dirname, '../fixtures/event-logs');
export const GOLDEN_V1 = path.join(GOLDEN_DIR, 'v1');

/** The `.jsonl` files of v1 that hold one transaction each, sorted. */
export function goldenFiles(): string[] {
  return readdirSync(GOLDEN_V1).filter((f) => f.endsWith('.jsonl') && !f.startsWith(TOPIC_FILE_PREFIX)).sort();
}

/** Files holding the events of one topic key (docs/topics.md), not a transaction. */
export const TOPIC_FILE_PREFIX = 'topic-';

export function goldenTopicFiles(): string[] {
  return readdirSync(GOLDEN_V1).filter((f) => f.endsWith('.jsonl') && f.startsWith(TOPIC_FILE_PREFIX)).sort();
}

export function readGoldenLog(file: string): LogRecord[] {
  return readFileSync(path.join(GOLDEN_V1, file), 'utf8').trimEnd().split('\n').map(decodeRecord);
}

/** Every type dtx ships: the built-ins and the quorum example. */
export function goldenRegistry(): TransTypeRegistry {
  const r = createBuiltinRegistry();
  r.register(quorumType);
  return r;
}
