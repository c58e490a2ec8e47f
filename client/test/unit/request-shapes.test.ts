import { describe, expect, it } from 'vitest';
import { createTransParser } from '../../../src/ingress/schema/trans-input-schema.js';
import { parseBranchInput } from '../../../src/ingress/schema/branch-input-schema.js';
import { Msg, Saga, tccGlobalTransaction, transRequestOf, xaGlobalTransaction, type BranchRegistrationCall, type DtmServer, type GlobalTransCall } from '../../src/index.js';

// Contract: every body dtx-client sends over HTTP is one dtx's own request schema accepts (the
// schema the server validates with), with the same meaning (payloads, options, custom_data).
const rules = { grpcUrlProblem: () => undefined, forwardCredentials: false };
const parser = createTransParser(rules);

/** A DtmServer that records calls instead of sending them (branch calls are not made: no tries). */
function recorder(): DtmServer & { calls: Array<{ op: string; call: GlobalTransCall }>; branches: BranchRegistrationCall[] } {
  const calls: Array<{ op: string; call: GlobalTransCall }> = [];
  const branches: BranchRegistrationCall[] = [];
  const rec = (op: string) => async (call: GlobalTransCall) => void calls.push({ op, call });
  return {
    protocol: 'http',
    address: 'http://127.0.0.1:36789/api/dtmsvr',
    calls,
    branches,
    newGid: async () => 'g',
    prepare: rec('prepare'),
    submit: rec('submit'),
    abort: rec('abort'),
    registerBranch: async (b) => void branches.push(b),
    prepareWorkflow: async () => ({ transaction: { gid: 'g', status: 'prepared', rollback_reason: '', result: '' }, progresses: [] }),
    close: () => undefined,
  };
}

describe('request bodies against dtx’s request schema', () => {
  it('saga with every option, concurrent with orders', async () => {
    const dtm = recorder();
    const options = { wait_result: true, timeout_to_fail: 60, retry_interval: 15, retry_limit: 3, request_timeout: 5, branch_headers: { 'x-tenant': 'a' } };
    await new Saga(dtm, 'saga-1', options).add('http://a.example/out', 'http://a.example/outC', { amount: 30 }).add('http://a.example/in', '', 'text').addBranchOrder(1, [0]).enableConcurrent().submit();
    const body = transRequestOf(dtm.calls[0]!.call);
    expect(body).toMatchObject({ gid: 'saga-1', trans_type: 'saga', protocol: 'http', concurrent: false, payloads: ['{"amount":30}', '"text"'], custom_data: '{"orders":{"1":[0]},"concurrent":true}', ...options });
    const spec = parser.parseTrans(JSON.parse(JSON.stringify(body)) as Record<string, unknown>);
    expect(spec.options).toMatchObject({ waitResult: true, timeoutToFail: 60, retryInterval: 15, retryLimit: 3, requestTimeout: 5, branchHeaders: { 'x-tenant': 'a' } });
    expect(spec.payloads.map((p) => Buffer.from(p, 'base64').toString())).toEqual(['{"amount":30}', '"text"']);
  });

  it('msg prepare/submit with delay, concurrency and a topic; binary payloads are refused over HTTP', async () => {
    const dtm = recorder();
    const msg = new Msg(dtm, 'msg-1').add('http://a.example/in', { n: 1 }).addTopic('orders', { n: 2 }).setDelay(10).enableConcurrent();
    await msg.prepare('http://a.example/query');
    await msg.submit();
    for (const { call } of dtm.calls) {
      const body = transRequestOf(call);
      expect(body).toMatchObject({ trans_type: 'msg', query_prepared: 'http://a.example/query', concurrent: true, custom_data: '{"delay":10}', steps: [{ action: 'http://a.example/in' }, { action: 'topic://orders' }] });
      expect(parser.parseTrans(JSON.parse(JSON.stringify(body)) as Record<string, unknown>).queryPrepared).toBe('http://a.example/query');
    }
    await new Msg(dtm, 'msg-2').add('http://a.example/in', new Uint8Array([0xff, 0xfe])).submit();
    expect(() => transRequestOf(dtm.calls.at(-1)!.call)).toThrow(/binary payload/);
  });

  it('tcc and xa: prepare, submit and abort with the rollback reason; registerBranch fields', async () => {
    const dtm = recorder();
    await tccGlobalTransaction(dtm, 'tcc-1', async () => 'ok', { timeout_to_fail: 30 });
    await expect(xaGlobalTransaction(dtm, 'xa-1', async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    const bodies = dtm.calls.map(({ op, call }) => ({ op, body: transRequestOf(call) }));
    expect(bodies.map((b) => `${b.op}:${b.body.trans_type}`)).toEqual(['prepare:tcc', 'submit:tcc', 'prepare:xa', 'abort:xa']);
    for (const { body } of bodies) parser.parseTrans(JSON.parse(JSON.stringify(body)) as Record<string, unknown>);
    const registration = { fields: { gid: 'tcc-1', trans_type: 'tcc', branch_id: '01', confirm: 'http://a.example/c', cancel: 'http://a.example/x', data: '{"amount":1}' }, protocol: 'http' };
    expect(parseBranchInput(registration, rules).gid).toBe('tcc-1');
  });

  it('option values dtm cannot take are refused before anything is sent', () => {
    const dtm = recorder();
    expect(() => new Saga(dtm, 's', { timeout_to_fail: 1.5 })).toThrow(/timeout_to_fail/);
    expect(() => new Saga(dtm, 's', { branch_headers: { a: 1 as unknown as string } })).toThrow(/branch_headers.a/);
    expect(() => new Msg(dtm, 'm').setDelay(-1)).toThrow(/delay/);
    expect(dtm.calls).toEqual([]);
  });
});
