import { DtmFailure, withResultSuffix } from '../errors.js';
import type { WorkflowProgress } from '../trans-request.js';

/** Branch status recorded for a workflow step: `succeed`, `failed` (FAILURE), or '' (not recorded: ONGOING or an error). */
export type StepStatus = '' | 'succeed' | 'failed';

/**
 * The outcome of one workflow step. `data` is the step's output, or for a FAILURE the error text
 * (what dtm's SDK records and what a resumed execution turns back into a DtmFailure).
 */
export interface StepResult {
  readonly status: StepStatus;
  readonly data: Uint8Array;
  readonly error?: Error;
}

/** dtm's wfErrorToStatus. */
export function statusOf(error: Error | undefined): StepStatus {
  if (error === undefined) return 'succeed';
  return error instanceof DtmFailure ? 'failed' : '';
}

export function stepResult(data: Uint8Array | undefined, error: Error | undefined): StepResult {
  return { status: statusOf(error), data: data ?? new Uint8Array(), ...(error ? { error } : {}) };
}

/** The recorded steps of a resumed workflow, keyed `<branch_id>-<op>`. */
export function progressMap(progresses: readonly WorkflowProgress[]): Map<string, StepResult> {
  const map = new Map<string, StepResult>();
  for (const p of progresses) {
    const error = p.status === 'failed' ? new DtmFailure(withResultSuffix(new TextDecoder().decode(p.bin_data), 'FAILURE')) : undefined;
    map.set(`${p.branch_id}-${p.op}`, { status: p.status === 'succeed' || p.status === 'failed' ? p.status : '', data: p.bin_data, ...(error ? { error } : {}) });
  }
  return map;
}
