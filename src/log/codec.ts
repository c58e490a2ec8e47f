/**
 * Versioned codec of event log records (STYLE L13, DESIGN §3).
 *
 * Wire grammar, version 1 (one JSON object, keys in this order):
 *   {"v":1,"gid":<non-empty string>,"seq":<integer >= 1>,"type":<non-empty string>,
 *    "at":<integer ms epoch>,"data":<JSON object>,"cmd":<string>}
 *
 * `decode` switches on `v`; each version has its own decoder which is never edited once the version
 * has shipped (recorded logs under test/fixtures/ must decode forever). A new shape gets `v: 2`, a
 * new decoder, and an upgrade to the current in-memory `LogRecord`.
 */
import { Internal } from '../errors.js';
import type { LogRecord } from './event-log.js';

/** The version `encodeRecord` writes. */
export const CURRENT_RECORD_VERSION = 1;

/** Encodes one record as JSON text (`v: 1`). Unknown extra properties are not written. */
export function encodeRecord(r: LogRecord): string {
  return JSON.stringify({ v: 1, gid: r.gid, seq: r.seq, type: r.type, at: r.at, data: r.data, cmd: r.cmd });
}

/** Decodes JSON text written by any released version of `encodeRecord`. Throws `Internal` on bad input. */
export function decodeRecord(text: string): LogRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Internal(`log record is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return decodeRecordValue(value);
}

/**
 * Decodes an already parsed record (adapters that store fields in columns rebuild the object and
 * pass it here, so versioning and validation are the same for every adapter).
 */
export function decodeRecordValue(value: unknown): LogRecord {
  if (!isPlainObject(value)) throw new Internal('log record is not a JSON object');
  const v = value['v'];
  switch (v) {
    case 1:
      return decodeV1(value);
    default:
      throw new Internal(`unsupported log record version: ${JSON.stringify(v) ?? String(v)}`);
  }
}

/** Version 1: the shape of `LogRecord` itself. Frozen: do not edit, add `decodeV2` instead. */
function decodeV1(o: Record<string, unknown>): LogRecord {
  const gid = o['gid'];
  const seq = o['seq'];
  const type = o['type'];
  const at = o['at'];
  const data = o['data'];
  const cmd = o['cmd'];
  if (typeof gid !== 'string' || gid === '') throw badField(1, 'gid', gid);
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw badField(1, 'seq', seq);
  if (typeof type !== 'string' || type === '') throw badField(1, 'type', type);
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) throw badField(1, 'at', at);
  if (!isPlainObject(data)) throw badField(1, 'data', data);
  if (typeof cmd !== 'string') throw badField(1, 'cmd', cmd);
  return { v: 1, gid, seq, type, at, data, cmd };
}

function badField(version: number, field: string, value: unknown): Internal {
  const shown = value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80);
  return new Internal(`log record v${version}: invalid field "${field}" (${shown})`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
