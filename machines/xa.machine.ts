import { createTwoPhaseMachine } from './two-phase-machine.js';
import { pairRows, type TwoPhaseRules } from './two-phase-steps.js';

/**
 * XA (spec §7.6): each registerBranch `{branch_id, url}` (the resource manager's phase-2 URL) adds
 * the rows `[rollback, commit]` on that URL with no payload. submit commits every registered branch,
 * abort or the prepared timeout rolls them back, both in registration order; phase-2 calls are
 * always POST with an empty body.
 */
export const XA_RULES: TwoPhaseRules = {
  name: 'xa',
  forward: 'commit',
  backward: 'rollback',
  reverse: false,
  forcePost: true,
  rowsOf: (reg, at) => pairRows(reg, at, ['rollback', reg.fields.url ?? ''], ['commit', reg.fields.url ?? ''], ''),
};

export const xaMachine = createTwoPhaseMachine(XA_RULES);
