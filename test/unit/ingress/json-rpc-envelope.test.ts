import { describe, expect, it } from 'vitest';
import { decodeJsonRpc } from '../../../src/ingress/jsonrpc/json-rpc-envelope.js';
import { INPUT_BOUNDS } from '../../../src/ingress/schema/input-bounds.js';

/** The JSON-RPC envelope on hostile requests (docs/limits.md): an answer in the envelope, never a throw. */
const decode = (body: string) => decodeJsonRpc(Buffer.from(body));

describe('decodeJsonRpc', () => {
  it('answers -32600 with a cut echo when params nest deeper than JSON.stringify can recurse', () => {
    const n = 200_000;
    const d = decode(`{"jsonrpc":"1.0","method":"submit","id":"1","params":${'['.repeat(n)}${']'.repeat(n)}}`);
    expect('answer' in d && d.answer.body.error).toEqual({ code: -32600, message: 'Bad json request: {"method":"submit","jsonrpc":"1.0","params":"(not shown: nested too deeply)","id":"1"}' });
  });

  it('refuses an id longer than jsonRpcIdMaxChars without echoing it', () => {
    const max = INPUT_BOUNDS.jsonRpcIdMaxChars;
    const ok = decode(JSON.stringify({ jsonrpc: '2.0', method: 'newGid', id: 'i'.repeat(max) }));
    expect('request' in ok && ok.request.id).toBe('i'.repeat(max));
    const long = decode(JSON.stringify({ jsonrpc: '2.0', method: 'newGid', id: 'i'.repeat(max + 1) }));
    expect('answer' in long && long.answer).toEqual({
      httpStatus: 400,
      body: { jsonrpc: '2.0', id: '', error: { code: -32700, message: `Parse json error: id: must be at most ${max} characters` }, result: null },
    });
  });
});
