/**
 * The quorum example as a loadable dtx type module: config `TransTypes: [<path to this file,
 * compiled>]` (or env `TRANS_TYPES`) makes dtx serve `trans_type: "quorum"`. A module exports its
 * definition as `transType` (or as its default export).
 */
import type { TransSpec, TransTypeDefinition } from '../../machines/index.js';
import { quorumDueAt, quorumMachine } from './quorum.machine.js';

/** Refuses a request the machine cannot run; the text is returned to the client (400). */
export function validateQuorum(spec: TransSpec): string | undefined {
  const n = spec.steps.length;
  if (n === 0) return 'a quorum transaction needs at least one step';
  if (spec.payloads.length < n) return `payloads has ${spec.payloads.length} entries but steps has ${n}: every step needs a payload`;
  if (spec.steps.some((s) => s.action === undefined)) return 'every step needs an action URL';
  if (spec.customData === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(spec.customData);
  } catch {
    return 'custom_data is not valid JSON';
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'custom_data must be a JSON object';
  const k = (data as { quorum?: unknown }).quorum;
  if (k !== undefined && (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n)) return `custom_data.quorum must be an integer 1..${n} (the number of steps)`;
  return undefined;
}

export const transType: TransTypeDefinition = {
  name: 'quorum',
  machine: quorumMachine,
  validate: validateQuorum,
  dueAt: quorumDueAt,
};

export { quorumMachine, quorumDueAt };
