import { DtmRequestError } from '../errors.js';
import type { WorkflowProgress, WorkflowProgresses } from '../trans-request.js';

/**
 * Reads the HTTP `prepareWorkflow` answer, `{transaction: {...}, progresses: [...]}` (dtm-spec
 * §2.2, §2.3), leniently as dtm's SDK does with protojson (unknown keys ignored, `progresses` may be
 * null), into the same shape the gRPC reply gives. `bin_data` is base64.
 */
export function decodeProgresses(text: string): WorkflowProgresses {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DtmRequestError(`prepareWorkflow: the answer is not JSON: ${text.slice(0, 200)}`, 200, undefined, text);
  }
  const root = (parsed ?? {}) as { transaction?: Record<string, unknown> | null; progresses?: Array<Record<string, unknown>> | null };
  const t = root.transaction ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const progresses: WorkflowProgress[] = (root.progresses ?? []).map((p) => ({
    branch_id: str(p.branch_id),
    op: str(p.op),
    status: str(p.status),
    bin_data: new Uint8Array(Buffer.from(str(p.bin_data), 'base64')),
  }));
  return { transaction: { gid: str(t.gid), status: str(t.status), rollback_reason: str(t.rollback_reason), result: str(t.result) }, progresses };
}
