/**
 * The branch payloads the load generator sends (`--payload-bytes`): dtm's `{}`, or JSON texts of a
 * given size whose content differs between sagas, as real payloads do.
 */

/** A branch payload of `bytes` bytes of JSON (at least 10: `{"pad":""}`), or dtm's `{}` for 0. */
export function payloadOf(bytes: number): string {
  return bytes === 0 ? '{}' : JSON.stringify({ pad: 'x'.repeat(Math.max(0, bytes - 10)) });
}

const PAD_HEAD = '{"pad":"';

/**
 * `payload` (payloadOf) made distinct for one step of one saga, same length: its pad starts with
 * the gid and the step, so no two transactions send equal payloads (a server that remembers
 * renders of equal payloads gains nothing real from the bench's). dtm's `{}` and pads shorter than
 * the tag stay as they are. Bench gids are JSON-safe (letters, digits, `-`, `_`).
 */
export function distinctPayload(payload: string, gid: string, step: number): string {
  const tag = `${gid}.${step}.`;
  if (!payload.startsWith(PAD_HEAD) || payload.length - PAD_HEAD.length - 2 < tag.length) return payload;
  return `${PAD_HEAD}${tag}${payload.slice(PAD_HEAD.length + tag.length)}`;
}
