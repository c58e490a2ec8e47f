import { isUtf8 } from 'node:buffer';

/**
 * A strict check of protobuf wire bytes against a message's shape, run before decoding. protobufjs
 * (under @grpc/proto-loader) decodes leniently: truncated fields, wrong wire types and invalid
 * UTF-8 in strings come out as partial values or U+FFFD instead of errors. Go's protobuf, which
 * dtm's SDKs speak, rejects all of these, so dtx refuses them with INVALID_ARGUMENT naming the
 * field rather than acting on a request the client never sent.
 *
 * Unknown field numbers are skipped when well-formed (proto3 forward compatibility); groups (wire
 * types 3, 4) and the reserved wire types 6, 7 are refused.
 */
export type WireKind = 'string' | 'bytes' | 'varint' | WireShape;

export interface WireField {
  readonly name: string;
  readonly kind: WireKind;
  /**
   * A repeated or map field: at most this many occurrences in one message, counted while walking,
   * so a flood of tiny entries is refused before anything decodes or validates them one by one.
   */
  readonly maxCount?: number;
}

export interface WireShape {
  /** Fields by number; a map field is a repeated message of `{1: key, 2: value}`. */
  readonly fields: Readonly<Record<number, WireField>>;
}

/** Nesting beyond this is refused (dtm's messages nest two levels: request → options → map entry). */
const MAX_DEPTH = 8;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

class WireProblem extends Error {}

/** The first problem of `bytes` as a `shape` message, naming the field, or undefined when well-formed. */
export function wireProblem(bytes: Uint8Array, shape: WireShape): string | undefined {
  try {
    walk(bytes, 0, bytes.length, shape, '', 0);
    return undefined;
  } catch (err) {
    if (err instanceof WireProblem) return err.message;
    throw err;
  }
}

/** Reads a base-128 varint of at most `maxBytes` bytes; returns [value, next position]. */
function varint(buf: Uint8Array, pos: number, end: number, maxBytes: number, what: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i += 1) {
    if (pos + i >= end) throw new WireProblem(`${what}: truncated varint`);
    const b = buf[pos + i]!;
    // Go's protowire: the tenth byte may only carry the 64th bit
    if (i === 9 && b > 1) throw new WireProblem(`${what}: varint overflows 64 bits`);
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  throw new WireProblem(`${what}: varint longer than ${maxBytes} bytes`);
}

function walk(buf: Uint8Array, start: number, end: number, shape: WireShape, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireProblem(`${path || 'message'}: nested deeper than ${MAX_DEPTH} levels`);
  let pos = start;
  let counts: Map<number, number> | undefined;
  while (pos < end) {
    const [tag, afterTag] = varint(buf, pos, end, 5, path === '' ? 'message' : path.slice(0, -1));
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    const field = shape.fields[number];
    const name = `${path}${field?.name ?? `field ${number}`}`;
    if (number === 0 || number > 0x1fffffff) throw new WireProblem(`${name}: invalid field number`);
    if (field?.maxCount !== undefined) {
      counts ??= new Map();
      const n = (counts.get(number) ?? 0) + 1;
      if (n > field.maxCount) throw new WireProblem(`${name}: at most ${field.maxCount} entries`);
      counts.set(number, n);
    }
    pos = afterTag;
    switch (wireType) {
      case WIRE_VARINT:
        expectKind(field, name, 'varint');
        pos = varint(buf, pos, end, 10, name)[1];
        break;
      case WIRE_I64:
      case WIRE_I32: {
        if (field !== undefined) throw new WireProblem(`${name}: wrong wire type ${wireType}`);
        pos += wireType === WIRE_I64 ? 8 : 4;
        if (pos > end) throw new WireProblem(`${name}: truncated value`);
        break;
      }
      case WIRE_LEN: {
        const [length, afterLength] = varint(buf, pos, end, 10, name);
        if (length > end - afterLength) throw new WireProblem(`${name}: length ${length} runs past the end of the message`);
        checkLengthDelimited(buf, afterLength, afterLength + length, field, name, depth);
        pos = afterLength + length;
        break;
      }
      default:
        throw new WireProblem(`${name}: unsupported wire type ${wireType}`);
    }
  }
}

function expectKind(field: WireField | undefined, name: string, kind: 'varint'): void {
  if (field !== undefined && field.kind !== kind) throw new WireProblem(`${name}: wrong wire type for a ${describe(field.kind)} field`);
}

function checkLengthDelimited(buf: Uint8Array, start: number, end: number, field: WireField | undefined, name: string, depth: number): void {
  if (field === undefined || field.kind === 'bytes') return;
  if (field.kind === 'varint') throw new WireProblem(`${name}: wrong wire type for a ${describe(field.kind)} field`);
  if (field.kind === 'string') {
    if (!isUtf8(buf.subarray(start, end))) throw new WireProblem(`${name}: not valid UTF-8`);
    return;
  }
  walk(buf, start, end, field.kind, `${name}.`, depth + 1);
}

function describe(kind: WireKind): string {
  return typeof kind === 'string' ? (kind === 'varint' ? 'bool/integer' : kind) : 'message';
}
