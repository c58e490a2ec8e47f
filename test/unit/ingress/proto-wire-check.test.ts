import { describe, expect, it } from 'vitest';
import { loadProtoFiles } from '../../../src/protocol/proto-files.js';
import { dtmProto } from '../../../src/protocol/dtm-proto.js';
import { wireProblem, type WireShape } from '../../../src/ingress/grpc/proto-wire-check.js';
import { INPUT_BOUNDS } from '../../../src/ingress/schema/input-bounds.js';
import { DTM_BRANCH_REQUEST_SHAPE, DTM_REQUEST_SHAPE, DTM_TOPIC_REQUEST_SHAPE, DTM_TRANS_OPTIONS_SHAPE, EMPTY_SHAPE } from '../../../src/ingress/grpc/grpc-trans-input.js';

interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
}

const definition = loadProtoFiles(['dtmgimp.proto']);
const fieldsOf = (fullName: string): FieldDescriptor[] => (definition[fullName] as unknown as { type: { field: FieldDescriptor[] } }).type.field;
const KIND_OF_TYPE: Readonly<Record<string, string>> = { TYPE_STRING: 'string', TYPE_BYTES: 'bytes', TYPE_BOOL: 'varint', TYPE_INT64: 'varint', TYPE_MESSAGE: 'message' };
const kindOf = (shape: WireShape, n: number): string => {
  const k = shape.fields[n]?.kind;
  return typeof k === 'string' ? k : k === undefined ? 'absent' : 'message';
};

describe('dtm wire shapes agree with proto/dtmgimp.proto', () => {
  it.each([
    ['dtmgimp.DtmRequest', DTM_REQUEST_SHAPE],
    ['dtmgimp.DtmTransOptions', DTM_TRANS_OPTIONS_SHAPE],
    ['dtmgimp.DtmBranchRequest', DTM_BRANCH_REQUEST_SHAPE],
    ['google.protobuf.Empty', EMPTY_SHAPE],
    ['dtmgimp.DtmTopicRequest', DTM_TOPIC_REQUEST_SHAPE],
  ] as const)('%s: same numbers, names and kinds', (fullName, shape) => {
    const fields = fullName === 'google.protobuf.Empty' ? [] : fieldsOf(fullName);
    expect(Object.keys(shape.fields).map(Number).sort((a, b) => a - b)).toEqual(fields.map((f) => f.number).sort((a, b) => a - b));
    for (const f of fields) {
      expect(shape.fields[f.number]?.name, `${fullName}.${f.name}`).toBe(f.name);
      expect(kindOf(shape, f.number), `${fullName}.${f.name}`).toBe(KIND_OF_TYPE[f.type]);
    }
  });
});

describe('wireProblem', () => {
  const { DtmRequest } = dtmProto().messages;
  const full = DtmRequest.encode({
    Gid: 'g-ü-😀', TransType: 'saga', CustomedData: '{}', QueryPrepared: 'http://x/q', Steps: '[]', RollbackReason: 'r',
    BinPayloads: [Buffer.from([0, 0xff]), Buffer.alloc(0)], ReqExtra: { a: 'b' },
    TransOptions: { WaitResult: true, TimeoutToFail: -1, RetryInterval: 2 ** 40, RequestTimeout: 3, RetryLimit: 4, BranchHeaders: { k: 'v' } },
  });

  it('accepts every field the encoder writes, and an empty message', () => {
    expect(wireProblem(full, DTM_REQUEST_SHAPE)).toBeUndefined();
    expect(wireProblem(Buffer.alloc(0), DTM_REQUEST_SHAPE)).toBeUndefined();
    expect(wireProblem(Buffer.alloc(0), EMPTY_SHAPE)).toBeUndefined();
  });

  it('refuses every truncation of a valid message', () => {
    // every top-level field of DtmRequest is length-delimited with a one-byte tag and length here:
    // a cut between fields is a valid shorter message, a cut inside one must be refused
    const boundaries = new Set<number>();
    for (let pos = 0; pos < full.length; pos += 2 + full[pos + 1]!) {
      expect(full[pos]! & 7).toBe(2);
      expect(full[pos + 1]!).toBeLessThan(128);
      boundaries.add(pos);
    }
    for (let cut = 1; cut < full.length; cut += 1) {
      if (boundaries.has(cut)) continue;
      expect(wireProblem(full.subarray(0, cut), DTM_REQUEST_SHAPE), `cut at ${cut}`).toBeDefined();
    }
  });

  it('refuses nesting deeper than 8 levels', () => {
    const deep: WireShape = { fields: {} };
    (deep.fields as Record<number, unknown>)[1] = { name: 'self', kind: deep };
    let msg = Buffer.alloc(0);
    for (let i = 0; i < 10; i += 1) msg = Buffer.concat([Buffer.from([0x0a, msg.length]), msg]);
    expect(wireProblem(msg, deep)).toMatch(/nested deeper than 8 levels/);
  });

  it('counts repeated and map fields while walking: one over the bound is refused, naming the field', () => {
    const payloads = (n: number) => DtmRequest.encode({ Gid: 'g', BinPayloads: Array.from({ length: n }, () => Buffer.alloc(0)) });
    expect(wireProblem(payloads(INPUT_BOUNDS.maxSteps), DTM_REQUEST_SHAPE)).toBeUndefined();
    expect(wireProblem(payloads(INPUT_BOUNDS.maxSteps + 1), DTM_REQUEST_SHAPE)).toBe(`BinPayloads: at most ${INPUT_BOUNDS.maxSteps} entries`);
    const headers = (n: number) => DtmRequest.encode({ TransOptions: { BranchHeaders: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])) } });
    expect(wireProblem(headers(INPUT_BOUNDS.maxBranchHeaders), DTM_REQUEST_SHAPE)).toBeUndefined();
    expect(wireProblem(headers(80_000), DTM_REQUEST_SHAPE)).toBe(`TransOptions.BranchHeaders: at most ${INPUT_BOUNDS.maxBranchHeaders} entries`);
    const extra = DtmRequest.encode({ ReqExtra: Object.fromEntries(Array.from({ length: INPUT_BOUNDS.reqExtraMaxEntries + 1 }, (_, i) => [`k${i}`, ''])) });
    expect(wireProblem(extra, DTM_REQUEST_SHAPE)).toBe(`ReqExtra: at most ${INPUT_BOUNDS.reqExtraMaxEntries} entries`);
  });

  it('refuses a ten-byte varint that overflows 64 bits, as Go does', () => {
    const options = (tenth: number) => Buffer.from([0x1a, 11, 0x10, 0xe4, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, tenth]);
    expect(wireProblem(options(0x01), DTM_REQUEST_SHAPE)).toBeUndefined();
    expect(wireProblem(options(0x02), DTM_REQUEST_SHAPE)).toBe('TransOptions.TimeoutToFail: varint overflows 64 bits');
  });

  it('names nested fields by their path', () => {
    expect(wireProblem(Buffer.from([0x1a, 0x04, 0x2a, 0x02, 0x12, 0x05]), DTM_REQUEST_SHAPE)).toBe('TransOptions.BranchHeaders.value: length 5 runs past the end of the message');
  });
});
