import { describe, expect, it } from 'vitest';
import { PAYLOAD_WRAPPERS } from '../../../machines/index.js';
import { BranchInvoker, wrapPayload } from '../../../src/invoker/branch-invoker.js';
import type { BranchCall, BranchOutcome, Invoker } from '../../../src/invoker/invoker.js';
import { dtmProto } from '../../../src/protocol/dtm-proto.js';

/** `wrapIn` (spec §6.6): the workflow resume callback of a gRPC workflow sends `WorkflowData{Data}`. */
const base: BranchCall = {
  gid: 'g', transType: 'workflow', branchId: '00', op: 'wf', url: '127.0.0.1:9/workflow.Workflow/Execute', protocol: 'grpc',
  payload: Buffer.from([0x0a, 0x02, 0x00, 0xff]), headers: {}, timeoutMs: 3000,
};

class Recorder implements Invoker {
  readonly calls: BranchCall[] = [];
  call(c: BranchCall): Promise<BranchOutcome> {
    this.calls.push(c);
    return Promise.resolve({ result: 'SUCCESS', message: '' });
  }
  postJson(): Promise<number | undefined> {
    return Promise.resolve(200);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('payload wrappers', () => {
  it('a call without wrapIn goes as it is', () => {
    expect(wrapPayload(base)).toBe(base);
  });

  it('workflow.WorkflowData: the payload becomes the Data field of the message, encoded with dtm’s proto', () => {
    const wrapped = wrapPayload({ ...base, wrapIn: 'workflow.WorkflowData' });
    expect(wrapped.wrapIn).toBeUndefined();
    // field 1, wire type 2, length 4, the bytes
    expect([...wrapped.payload]).toEqual([0x0a, 0x04, 0x0a, 0x02, 0x00, 0xff]);
    expect([...dtmProto().messages.WorkflowData.decode(wrapped.payload).Data]).toEqual([...base.payload]);
    expect(wrapPayload({ ...base, payload: new Uint8Array(), wrapIn: 'workflow.WorkflowData' }).payload.byteLength).toBe(0);
  });

  it('every wrapper the machines may name is known; the engine’s invoker wraps before routing, over HTTP too', async () => {
    for (const w of PAYLOAD_WRAPPERS) expect(() => wrapPayload({ ...base, wrapIn: w })).not.toThrow();
    const grpc = new Recorder();
    const http = new Recorder();
    const invoker = new BranchInvoker({ grpc, http });
    await invoker.call({ ...base, wrapIn: 'workflow.WorkflowData' });
    await invoker.call({ ...base, url: 'http://client/resume', wrapIn: 'workflow.WorkflowData' });
    expect(grpc.calls.map((c) => [c.wrapIn, c.payload.byteLength])).toEqual([[undefined, 6]]);
    expect(http.calls.map((c) => [c.wrapIn, c.payload.byteLength])).toEqual([[undefined, 6]]);
    const odd = await invoker.call({ ...base, wrapIn: 'x.Unknown' as never });
    expect(odd).toMatchObject({ result: 'ERROR', message: expect.stringContaining('unknown payload wrapper') as unknown });
  });
});
