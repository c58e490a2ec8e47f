import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BranchRow, TransContext } from '../../../machines/index.js';
import { branchView, renderView, storedView, transView } from '../../../src/engine/trans-view.js';
import { dtmViewText, viewChars } from '../../../src/log/packed-view.js';
import type { Parked } from '../../../src/engine/live-transaction.js';

/**
 * storedView packs views with long payloads (packed-view.ts) and renderView unpacks them, splicing
 * remembered JSON texts between the texts of the keys around them; the dtm text must still be byte
 * for byte JSON.stringify of the DtmTransView and DtmBranchView objects (what dtx stored before
 * version 3 of the log, and what the audit compares with). Their shape itself is held by the
 * golden logs.
 */
function referenceView(ctx: TransContext, status: string, parked?: Parked): string {
  return JSON.stringify({ transaction: transView(ctx, status, parked), branches: ctx.branches.map((b) => branchView(ctx.gid, b)) });
}

const instant = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4_102_444_800_000 }));
// short and long texts (a long one's JSON is remembered), with characters JSON escapes
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }), fc.constantFrom('', 'a"b\\c\n\u0001', '\u2028é中😀'));
const b64 = text.map((t) => Buffer.from(t, 'utf8').toString('base64'));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const row: fc.Arbitrary<BranchRow> = fc.record({
  branchId: fc.constantFrom('01', '02', '0101'),
  op: fc.constantFrom('action', 'compensate', 'try', 'confirm', 'cancel'),
  url: fc.oneof(fc.constant(''), fc.webUrl()),
  // a bin_data that is no base64 at all, with the characters packing uses as delimiters
  binData: fc.oneof(b64, fc.string({ minLength: 256, maxLength: 400 }).map((t) => `\u0001\u0003p0\u0003${t}\u0002`)),
  status: fc.constantFrom('prepared', 'succeed', 'failed'),
  createTime: instant,
  updateTime: instant,
  finishTime: maybe(instant),
  attempt: fc.nat(5),
  inflight: fc.boolean(),
  blocked: fc.boolean(),
}) as fc.Arbitrary<BranchRow>;

const options = fc.record({
  waitResult: fc.boolean(),
  timeoutToFail: fc.nat(100),
  requestTimeout: fc.nat(100),
  retryInterval: fc.nat(100),
  branchHeaders: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
  retryLimit: fc.nat(5),
  concurrent: fc.boolean(),
});

const context = fc
  .record({
    gid: text,
    transType: fc.constantFrom('saga', 'msg', 'tcc', 'xa', 'workflow'),
    protocol: fc.constantFrom('http', 'grpc'),
    steps: fc.array(fc.dictionary(fc.constantFrom('action', 'compensate'), fc.webUrl(), { maxKeys: 2 }), { maxLength: 3 }),
    payloads: fc.array(b64, { maxLength: 3 }),
    withSpec: fc.boolean(),
    options,
    customData: text,
    queryPrepared: fc.oneof(fc.constant(''), fc.webUrl()),
    createTime: instant,
    updateTime: instant,
    finishTime: maybe(instant),
    rollbackTime: maybe(instant),
    rollbackReason: text,
    result: text,
    nextCronInterval: fc.nat(3600),
    nextCronTime: fc.oneof(fc.constant(0), instant),
    branches: fc.array(row, { maxLength: 5 }),
    // no key after the payloads at all: the view's text ends right after them
    bare: fc.boolean(),
    // branches carry the payloads, as a saga's action and compensation do
    shared: fc.boolean(),
  })
  .map(({ steps, payloads, withSpec, bare, shared, ...c }) => {
    const spec = withSpec ? { steps, payloads } : undefined;
    if (shared && payloads.length) c.branches = c.branches.map((b, i) => ({ ...b, binData: payloads[i % payloads.length]! }));
    if (!bare) return { ...c, spec } as unknown as TransContext;
    const none = { waitResult: false, timeoutToFail: 0, requestTimeout: 0, retryInterval: 0, branchHeaders: {}, retryLimit: 0, concurrent: c.options.concurrent };
    return { ...c, spec, options: none, queryPrepared: '', finishTime: undefined, rollbackTime: undefined, result: '', rollbackReason: '', customData: '', nextCronInterval: 0, nextCronTime: 0 } as unknown as TransContext;
  });

const parked: fc.Arbitrary<Parked | undefined> = maybe(fc.record({ reason: text, at: instant }) as fc.Arbitrary<Parked>);

describe('renderView', () => {
  it('writes what JSON.stringify writes of the view objects, byte for byte', () => {
    fc.assert(
      fc.property(context, fc.constantFrom('prepared', 'submitted', 'succeed', 'failed', 'aborting'), parked, (ctx, status, p) => {
        expect(renderView(ctx, status, p)).toBe(referenceView(ctx, status, p));
        // the second render finds long texts remembered: still the same bytes
        expect(renderView(ctx, status, p)).toBe(referenceView(ctx, status, p));
      }),
      { numRuns: 400 },
    );
  });

  it('stores the dtm text itself, or packed when it has long strings; either gives the dtm text back and bounds its length', () => {
    fc.assert(
      fc.property(context, fc.constantFrom('prepared', 'succeed', 'failed'), parked, (ctx, status, p) => {
        const stored = storedView(ctx, status, p);
        const reference = referenceView(ctx, status, p);
        const long = [...(ctx.spec?.payloads ?? []), ...ctx.branches.map((b) => b.binData)].some((s) => s.length >= 256);
        expect(stored.startsWith('\u0001')).toBe(long);
        if (!long) expect(stored).toBe(reference);
        expect(dtmViewText(stored)).toBe(reference);
        expect(viewChars(stored)).toBe(Math.max(reference.length, stored.length));
      }),
      { numRuns: 400 },
    );
  });

  it('renders a long payload again correctly after the remembered lengths were forgotten', () => {
    const long = (c: string) => Buffer.from(`{"pad":"${c.repeat(600_000)}"}`).toString('base64');
    const base = fc.sample(context, { numRuns: 1, seed: 7 })[0]!;
    // each is 800 kB of base64: the 4 Mi characters of remembered keys are filled and forgotten
    // (dtmViewText checks the announced length against the text it builds)
    for (const c of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'a']) {
      const ctx = { ...base, spec: { steps: [], payloads: [long(c)] }, branches: [{ ...base.branches[0], branchId: '01', op: 'action', url: '', binData: long(c), status: 'prepared', createTime: 0, updateTime: 0 } as BranchRow] } as unknown as TransContext;
      expect(renderView(ctx, 'submitted')).toBe(referenceView(ctx, 'submitted'));
    }
  });
});

describe('storedView', () => {
  it('stores a saga step\'s payload once for its payloads entry and both branches', () => {
    const payload = Buffer.from(JSON.stringify({ pad: 'é'.repeat(2000) })).toString('base64');
    const base = fc.sample(context, { numRuns: 1, seed: 11 })[0]!;
    const branch = (op: string) => ({ branchId: '01', op, url: 'http://127.0.0.1:1/x', binData: payload, status: 'prepared', createTime: 1, updateTime: 1, attempt: 0, inflight: false, blocked: false }) as BranchRow;
    const ctx = { ...base, spec: { steps: [{ action: 'http://127.0.0.1:1/x', compensate: 'http://127.0.0.1:1/y' }], payloads: [payload] }, branches: [branch('compensate'), branch('action')] } as unknown as TransContext;
    const stored = storedView(ctx, 'submitted');
    const reference = referenceView(ctx, 'submitted');
    expect(stored.split(payload)).toHaveLength(2);
    // the decoded text and one of the two base64 copies are gone
    expect(reference.length - stored.length).toBeGreaterThan(payload.length + 1900);
    expect(dtmViewText(stored)).toBe(reference);
  });
});
