/**
 * Branch payloads. dtm sends a payload to the branch as it is: the request body over HTTP, the
 * request message bytes over gRPC. A payload given as a `Uint8Array` is sent byte for byte (for
 * gRPC branches: the protobuf-encoded request); any other value is JSON-encoded first, as dtm's Go
 * SDK does (`{amount: 30}` → `{"amount":30}`, a string → a JSON string).
 */
export type Payload = Uint8Array | JsonValue;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a payload. */
export function payloadBytes(payload: Payload): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  const text = JSON.stringify(payload);
  if (text === undefined) throw new TypeError('a payload must be a Uint8Array or a JSON value');
  return new TextEncoder().encode(text);
}

/**
 * The text of a payload for dtm's HTTP API, whose `payloads` are strings. Bytes must be UTF-8
 * (binary payloads need the gRPC API, whose payloads are bytes).
 */
export function payloadText(payload: Payload): string {
  if (!(payload instanceof Uint8Array)) return new TextDecoder().decode(payloadBytes(payload));
  try {
    return strictUtf8.decode(payload);
  } catch {
    throw new TypeError('a binary payload cannot travel over dtm’s HTTP API (payloads are text there): use the gRPC API');
  }
}

/** A branch's answer as this client received it. */
export class BranchResponse {
  constructor(
    /** The body (HTTP) or reply message bytes (gRPC). */
    readonly bytes: Uint8Array,
    /** HTTP status, or 200 for a gRPC reply. */
    readonly status = 200,
  ) {}

  text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  /** The body parsed as JSON (throws a SyntaxError when it is not). */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}
