import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtmProto } from '../../src/protocol/dtm-proto.js';
import { healthClient, rawCall, unary } from '../support/dtm-grpc-client.js';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { fuzzPlan, progress } from './fuzz-plan.js';
import { nastyString } from './fuzz-values.js';

/**
 * Property-based fuzz of the gRPC (`dtmgimp.Dtm`) and JSON-RPC ingresses of the real `dtx serve`
 * process; the HTTP API has its own (http-api.fuzz.test.ts). Messages of every method, built from
 * hostile strings (JSON escapes of lone surrogates inside Steps and CustomedData included) and
 * then cut, spliced or overwritten byte by byte; JSON-RPC envelopes of every shape. Every answer
 * keeps the contract, the process never exits and answers health checking after every case, and
 * it logs no error. `FUZZ_RUNS` and `FUZZ_SEED` as for the HTTP fuzz (fuzz-plan.ts).
 */
const plan = fuzzPlan(process.env);
const grpcCases = Math.max(50, Math.round(plan.total / 4));
const rpcCases = Math.max(50, Math.round(plan.total / 8));
const MAX_BYTES = 262_144;
let dtx: DtxProcess;
let target: string;
let health: grpc.Client;

beforeAll(async () => {
  dtx = await startDtx({ env: { HTTP_MAX_BODY_BYTES: String(MAX_BYTES), LOG_LEVEL: 'info' } });
  target = `127.0.0.1:${dtx.grpcPort}`;
  health = healthClient(target);
  progress(`grpc/json-rpc: seed ${plan.seed}, ${grpcCases} gRPC and ${rpcCases} JSON-RPC cases; reproduce with FUZZ_SEED=${plan.seed} FUZZ_RUNS=${plan.total}`);
});
afterAll(async () => {
  health?.close();
  await dtx?.kill();
});

const { DtmRequest, DtmBranchRequest, DtmTopicRequest } = dtmProto().messages;
const METHODS = ['Submit', 'Prepare', 'Abort', 'PrepareWorkflow', 'RegisterBranch', 'Subscribe', 'Unsubscribe', 'DeleteTopic', 'NewGid'] as const;

const text = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.constantFrom('', 'saga', 'msg', 'tcc', 'xa', 'workflow', 'http://127.0.0.1:1/api/x', '127.0.0.1:1/busi.Busi/X', 'topic://t', 'null', '[]') },
);
/** JSON text as an SDK sends it; JSON.stringify writes a lone surrogate as an ASCII `\ud800` escape. */
const stepsText = fc.oneof(
  fc.array(fc.dictionary(text, text, { maxKeys: 3 }), { maxLength: 3 }).map((s) => JSON.stringify(s)),
  text,
);
const customData = fc.oneof(fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 3 }).map((o) => JSON.stringify(o)), text);
const map = fc.dictionary(text, text, { maxKeys: 3 });
const int64 = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER));
const hostile = fc.record({
  Gid: text, TransType: text, CustomedData: customData, QueryPrepared: text, Steps: stepsText, ReqExtra: map, RollbackReason: text,
  BinPayloads: fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 }),
  TransOptions: fc.record({ WaitResult: fc.boolean(), TimeoutToFail: int64, RetryInterval: int64, BranchHeaders: map, RequestTimeout: int64, RetryLimit: int64 }),
}, { requiredKeys: ['Gid', 'TransType'] });
/** Requests the schema accepts, with odd but valid values: they reach the engine (branches refuse connections). */
const plausible = fc.record({
  Gid: fc.stringMatching(/^[a-zA-Z0-9_-]{1,24}$/).map((g) => `fz-${g}`),
  TransType: fc.constantFrom('saga', 'msg', 'tcc', 'xa', 'workflow'),
  Steps: fc.array(fc.record({ action: fc.constantFrom('', 'http://127.0.0.1:1/api/a', '127.0.0.1:1/busi.Busi/A'), compensate: fc.constantFrom('', 'http://127.0.0.1:1/api/c') }), { maxLength: 3 }).map((s) => JSON.stringify(s)),
  BinPayloads: fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 }),
  QueryPrepared: fc.constantFrom('', 'http://127.0.0.1:1/api/q'),
  CustomedData: fc.constantFrom('', '{}', '{"concurrent":true}', '{"orders":{"1":[0]}}', '{"delay":1}'),
  TransOptions: fc.record({ WaitResult: fc.boolean(), TimeoutToFail: fc.integer({ min: 0, max: 100 }), RetryInterval: fc.integer({ min: 0, max: 100 }), RequestTimeout: fc.integer({ min: 0, max: 5 }), RetryLimit: fc.integer({ min: 0, max: 3 }) }),
});
const dtmRequest = fc.oneof({ weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: plausible });
const branchRequest = fc.record({ Gid: text, TransType: text, BranchID: text, Op: text, Data: map, BusiPayload: fc.uint8Array({ maxLength: 16 }) });
const topicRequest = fc.record({ Topic: text, URL: text, Remark: text });

/** What is done to the encoded message before it is sent. */
const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.constant((b: Buffer) => b) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => (b: Buffer) => (b.length === 0 ? b : Buffer.from(b).fill(v, i % b.length, (i % b.length) + 1))) },
  { weight: 1, arbitrary: fc.nat().map((i) => (b: Buffer) => b.subarray(0, b.length === 0 ? 0 : i % b.length)) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 12 })).map(([i, add]) => (b: Buffer) => { const k = b.length === 0 ? 0 : i % b.length; return Buffer.concat([b.subarray(0, k), add, b.subarray(k)]); }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((r) => () => Buffer.from(r)) },
);

const grpcCase = fc.record({ method: fc.constantFrom(...METHODS), trans: dtmRequest, branch: branchRequest, topic: topicRequest, mutate: mutation });
type GrpcCase = typeof grpcCase extends fc.Arbitrary<infer T> ? T : never;

function encoded(c: GrpcCase): Buffer {
  if (c.method === 'NewGid') return Buffer.alloc(0);
  if (c.method === 'RegisterBranch') return Buffer.from(DtmBranchRequest.encode(c.branch));
  if (c.method === 'Subscribe' || c.method === 'Unsubscribe' || c.method === 'DeleteTopic') return Buffer.from(DtmTopicRequest.encode(c.topic));
  return Buffer.from(DtmRequest.encode(c.trans));
}

/**
 * The statuses dtx answers a client with (docs/errors.md): OK, InvalidArgument naming the problem,
 * ResourceExhausted for a message above HttpMaxBodyBytes, and dtm's answers of a call it refuses
 * (Aborted for FAILURE, FailedPrecondition for ONGOING, Unknown for dtm's plain errors such as an
 * unknown topic, AlreadyExists / NotFound from the error table). Internal only where dtm answers it
 * (`EXPLAINED_INTERNAL`: an abort of an unknown gid, a msg to an unknown topic), never with
 * DTX_INTERNAL (an unexpected error in dtx); Unavailable or no answer at all break the contract.
 */
const CONTRACT_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.FAILED_PRECONDITION, grpc.status.UNKNOWN,
  grpc.status.ALREADY_EXISTS, grpc.status.NOT_FOUND,
]);
const EXPLAINED_INTERNAL: ReadonlySet<string> = new Set(['DTX_TRANS_NOT_FOUND', 'DTX_TOPIC_NOT_FOUND']);

const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

describe('gRPC and JSON-RPC ingress fuzz', () => {
  it('every message of every method gets a status of the contract; dtx keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(grpcCase, async (c) => {
        const r = await rawCall(target, c.method, c.mutate(encoded(c)));
        count(`${c.method} ${grpc.status[r.code]}`);
        const dtxCode = String(r.trailer?.get('dtx-error-code')[0] ?? '');
        const explained = CONTRACT_CODES.has(r.code) || (r.code === grpc.status.INTERNAL && EXPLAINED_INTERNAL.has(dtxCode));
        expect(explained, `${c.method}: ${grpc.status[r.code]} ${dtxCode} ${r.details}`).toBe(true);
        if (r.code === grpc.status.INVALID_ARGUMENT) expect(r.details.length).toBeGreaterThan(0);
        const served = await unary<{ status: string }>(health, 'Check', { service: '' });
        expect(served.value?.status).toBe('SERVING');
      }),
      { numRuns: grpcCases, seed: plan.seed },
    );
    progress(`grpc: ${[...tally].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    // the cases reach the engine too, not only the wire check and the schema
    expect((tally.get('Submit OK') ?? 0) + (tally.get('Prepare OK') ?? 0)).toBeGreaterThan(0);
  });

  it('every JSON-RPC envelope gets a JSON-RPC 2.0 answer, HTTP 200, 400 or 413 (above HttpMaxBodyBytes)', async () => {
    const params = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ gid: text, trans_type: text, steps: fc.array(map, { maxLength: 2 }), payloads: fc.array(text, { maxLength: 2 }), custom_data: customData }));
    const envelope = fc.oneof(
      fc.record({ jsonrpc: fc.oneof(fc.constant('2.0'), text), id: fc.oneof(text, fc.integer(), fc.constant(null)), method: fc.oneof(fc.constantFrom('newGid', 'prepare', 'submit', 'abort', 'registerBranch'), text), params }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(envelope, async (env) => {
        const res = await fetch(`http://127.0.0.1:${dtx.port}/api/json-rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(env) });
        const answer = JSON.parse(await res.text()) as { jsonrpc?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } | null };
        expect([200, 400, 413], `${res.status} for ${JSON.stringify(env).slice(0, 200)}`).toContain(res.status);
        expect(answer.jsonrpc).toBe('2.0');
        if (answer.error) expect(typeof answer.error.code === 'number' && typeof answer.error.message === 'string').toBe(true);
        else expect(answer).toHaveProperty('result');
      }),
      { numRuns: rpcCases, seed: plan.seed },
    );
  });

  it('the process is alive and logged no error', async () => {
    expect(dtx.proc.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${dtx.port}/api/ping`)).status).toBe(200);
    expect(dtx.logs.filter((l) => /"level":(5\d|6\d)/.test(l))).toEqual([]);
  });
});
