import { createTwoPhaseMachine } from './two-phase-machine.js';
import { pairRows, type TwoPhaseRules } from './two-phase-steps.js';

/**
 * TCC (spec §7.5): each registerBranch `{branch_id, data, confirm, cancel}` adds the rows
 * `[cancel, confirm]` with the branch's data as payload. submit confirms every registered branch,
 * abort or the prepared timeout cancels them; both passes go from the last registered branch to
 * the first. The client calls `try` itself: dtx never does.
 */
export const TCC_RULES: TwoPhaseRules = {
  name: 'tcc',
  forward: 'confirm',
  backward: 'cancel',
  reverse: true,
  forcePost: false,
  rowsOf: (reg, at) => pairRows(reg, at, ['cancel', reg.fields.cancel ?? ''], ['confirm', reg.fields.confirm ?? ''], reg.payload),
};

export const tccMachine = createTwoPhaseMachine(TCC_RULES);
