import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dtmProto } from '../../../src/protocol/dtm-proto.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/**
 * DtmRequest encoded by hand from spec §10.1 (tag = field << 3 | wire type; 2 = length-delimited,
 * 0 = varint; a map entry is a message with key = 1, value = 2; proto3 zero values are omitted).
 */
const REQUEST_BYTES = hex(`
  0a 02 ${ascii('g1')}
  12 04 ${ascii('saga')}
  1a 11
     08 01
     10 ac 02
     2a 06 0a 01 ${ascii('k')} 12 01 ${ascii('v')}
     30 03
     38 02
  22 02 ${ascii('{}')}
  2a 03 ff 00 80
  32 01 ${ascii('q')}
  3a 04 ${ascii('null')}
  42 06 0a 01 ${ascii('x')} 12 01 ${ascii('y')}
  4a 01 ${ascii('r')}
`);

const REQUEST = {
  Gid: 'g1',
  TransType: 'saga',
  TransOptions: { WaitResult: true, TimeoutToFail: 300, BranchHeaders: { k: 'v' }, RequestTimeout: 3, RetryLimit: 2 },
  CustomedData: '{}',
  BinPayloads: [Buffer.from([0xff, 0x00, 0x80])],
  QueryPrepared: 'q',
  Steps: 'null',
  ReqExtra: { x: 'y' },
  RollbackReason: 'r',
};

describe('dtm protos (proto/dtmgimp.proto, proto/workflow.proto)', () => {
  const { messages, dtmService, workflowService, DtmClient } = dtmProto();

  it('encodes a DtmRequest to the bytes derived by hand from the spec', () => {
    expect(messages.DtmRequest.encode(REQUEST).toString('hex')).toBe(REQUEST_BYTES.toString('hex'));
  });

  it('decodes those bytes back, and an empty message to zero values with TransOptions null', () => {
    expect(messages.DtmRequest.decode(REQUEST_BYTES)).toEqual({ ...REQUEST, TransOptions: { ...REQUEST.TransOptions, RetryInterval: 0 } });
    expect(messages.DtmRequest.decode(new Uint8Array())).toEqual({
      Gid: '', TransType: '', TransOptions: null, CustomedData: '', BinPayloads: [],
      QueryPrepared: '', Steps: '', ReqExtra: {}, RollbackReason: '',
    });
  });

  it('writes a zero value given explicitly (protobufjs; Go omits it), which decodes as if absent', () => {
    const bytes = messages.DtmTransOptions.encode({ RetryInterval: 0, WaitResult: true });
    expect(bytes.toString('hex')).toBe('08011800');
    expect(messages.DtmTransOptions.decode(bytes)).toEqual(messages.DtmTransOptions.decode(hex('08 01')));
  });

  it('skips the retired PassthroughHeaders (field 4 of DtmTransOptions) an old SDK may send', () => {
    const opts = hex(`08 01 22 01 ${ascii('h')} 30 05`);
    expect(messages.DtmTransOptions.decode(opts)).toMatchObject({ WaitResult: true, RequestTimeout: 5 });
  });

  it('DtmBranchRequest, DtmGidReply, DtmTopicRequest and WorkflowData field numbers', () => {
    const branch = messages.DtmBranchRequest.encode({
      Gid: 'g', TransType: 'tcc', BranchID: '01', Op: 'try', Data: { url: 'u' }, BusiPayload: new Uint8Array([0xc3]),
    });
    expect(branch.toString('hex')).toBe(hex(`
      0a 01 ${ascii('g')} 12 03 ${ascii('tcc')} 1a 02 ${ascii('01')} 22 03 ${ascii('try')}
      2a 08 0a 03 ${ascii('url')} 12 01 ${ascii('u')} 32 01 c3`).toString('hex'));
    expect(messages.DtmGidReply.encode({ Gid: 'ab' }).toString('hex')).toBe(hex(`0a 02 ${ascii('ab')}`).toString('hex'));
    expect(messages.DtmTopicRequest.encode({ Topic: 't', URL: 'u', Remark: 'r' }).toString('hex'))
      .toBe(hex(`0a 01 ${ascii('t')} 12 01 ${ascii('u')} 1a 01 ${ascii('r')}`).toString('hex'));
    expect(messages.WorkflowData.encode({ Data: new Uint8Array([0, 0xfe]) }).toString('hex')).toBe('0a0200fe');
    expect(messages.Empty.encode({}).byteLength).toBe(0);
  });

  it('DtmProgressesReply nests DtmTransaction (1) and repeated DtmProgress (2)', () => {
    const bytes = messages.DtmProgressesReply.encode({
      Transaction: { Gid: 'g', Status: 'prepared' },
      Progresses: [{ Status: 'succeed', BinData: new Uint8Array([1]), BranchID: '01', Op: 'action' }],
    });
    expect(bytes.toString('hex')).toBe(hex(`
      0a 0d 0a 01 ${ascii('g')} 12 08 ${ascii('prepared')}
      12 18 0a 07 ${ascii('succeed')} 12 01 01 1a 02 ${ascii('01')} 22 06 ${ascii('action')}`).toString('hex'));
    const back = messages.DtmProgressesReply.decode(bytes);
    expect(back.Transaction?.Status).toBe('prepared');
    expect(back.Progresses[0]?.BinData).toEqual(Buffer.from([1]));
  });

  it('serves every RPC of dtmgimp.Dtm with dtm’s full method names and message types', () => {
    const rpcs = Object.fromEntries(Object.entries(dtmService).map(([name, m]) => [name, m.path]));
    expect(rpcs).toEqual(Object.fromEntries(
      ['NewGid', 'Submit', 'Prepare', 'Abort', 'RegisterBranch', 'PrepareWorkflow', 'Subscribe', 'Unsubscribe', 'DeleteTopic']
        .map((n) => [n, `/dtmgimp.Dtm/${n}`]),
    ));
    expect(workflowService['Execute']?.path).toBe('/workflow.Workflow/Execute');
    expect(dtmService['PrepareWorkflow']?.responseSerialize({ Progresses: [] }).byteLength).toBe(0);
    expect(typeof DtmClient.prototype['Submit']).toBe('function');
  });

  it('keeps dtm’s json_names on the prepareWorkflow reply messages (the Go SDK parses them with protojson)', () => {
    // proto-loader drops json_name from its descriptors, so the proto text itself is checked.
    const text = readFileSync(new URL('../../../proto/dtmgimp.proto', import.meta.url), 'utf8');
    const expected: readonly (readonly [string, number, string])[] = [
      ['DtmTransaction Transaction', 1, 'transaction'], ['repeated DtmProgress Progresses', 2, 'progresses'],
      ['string Gid', 1, 'gid'], ['string Status', 2, 'status'], ['string RollbackReason', 3, 'rollback_reason'],
      ['string Result', 4, 'result'], ['string Status', 1, 'status'], ['bytes BinData', 2, 'bin_data'],
      ['string BranchID', 3, 'branch_id'], ['string Op', 4, 'op'],
    ];
    for (const [decl, n, json] of expected) expect(text).toContain(`${decl} = ${n} [json_name = "${json}"];`);
    expect(text.match(/\[json_name = /g)).toHaveLength(expected.length);
  });
});
