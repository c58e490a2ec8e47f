import { describe, expect, it } from 'vitest';
import { dtmProto } from '../../../src/protocol/dtm-proto.js';
import { progressBody, progressesReply } from '../../../src/ingress/workflow-progress.js';

/** prepareWorkflow's answer (spec §5.8, §10.1) rendered from the engine's view text. */
const view = JSON.stringify({
  transaction: { id: 0, gid: 'g1', trans_type: 'workflow', status: 'succeed', protocol: 'grpc', result: 'b2s=', rollback_reason: '', options: '{"concurrent":false}', concurrent: false },
  branches: [
    { id: 0, gid: 'g1', branch_id: '01', op: 'action', status: 'succeed', bin_data: Buffer.from([0, 1, 255]).toString('base64') },
    { id: 0, gid: 'g1', branch_id: '02', op: 'action', status: 'failed' },
  ],
});

describe('workflow progress answers', () => {
  it('HTTP: the view’s transaction, and its rows as `progresses`', () => {
    const body = progressBody({ ok: true, view });
    expect(Object.keys(body)).toEqual(['transaction', 'progresses']);
    expect(body.transaction).toMatchObject({ gid: 'g1', status: 'succeed', result: 'b2s=' });
    expect(body.progresses.map((p) => [p.branch_id, p.op, p.status, p.bin_data])).toEqual([['01', 'action', 'succeed', 'AAH/'], ['02', 'action', 'failed', undefined]]);
  });

  it('gRPC: a DtmProgressesReply with Result filled and bytes as they were registered', () => {
    const msg = progressesReply({ ok: true, view });
    const decoded = dtmProto().messages.DtmProgressesReply.decode(dtmProto().messages.DtmProgressesReply.encode(msg));
    expect(decoded.Transaction).toEqual({ Gid: 'g1', Status: 'succeed', RollbackReason: '', Result: 'b2s=' });
    expect(decoded.Progresses.map((p) => [p.BranchID, p.Op, p.Status, [...p.BinData]])).toEqual([['01', 'action', 'succeed', [0, 1, 255]], ['02', 'action', 'failed', []]]);
  });

  it('a successful reply without a view is an internal error, never an empty answer', () => {
    expect(() => progressBody({ ok: true })).toThrow(/without the transaction/);
  });
});
