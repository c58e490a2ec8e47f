import type { TransTypeDefinition } from './trans-type.js';
import type { TransSpec } from './vocabulary.js';
import { sagaMachine } from './saga.machine.js';
import { msgMachine } from './msg.machine.js';
import { msgCustomDataProblem, sagaCustomDataProblem } from './custom-data-rules.js';
import { tccMachine } from './tcc.machine.js';
import { xaMachine } from './xa.machine.js';
import { twoPhaseDueAt } from './two-phase-steps.js';
import { outstandingCalls } from './branch-calls.js';
import { msgTopicNames, msgTopicProblem } from './msg-steps.js';
import { workflowMachine } from './workflow.machine.js';

/** Transaction types by name. One registry per engine, so tests and embedders stay isolated. */
export class TransTypeRegistry {
  readonly #types = new Map<string, TransTypeDefinition>();

  register(def: TransTypeDefinition): void {
    if (def.name === '' || !/^[a-z][a-z0-9_-]{0,31}$/.test(def.name)) {
      throw new TypeError(`trans type name '${def.name}' must match ^[a-z][a-z0-9_-]{0,31}$`);
    }
    if (this.#types.has(def.name)) throw new TypeError(`trans type '${def.name}' is already registered`);
    this.#types.set(def.name, def);
  }

  get(name: string): TransTypeDefinition | undefined {
    return this.#types.get(name);
  }

  names(): string[] {
    return [...this.#types.keys()];
  }
}

function validateSteps(spec: TransSpec): string | undefined {
  if (spec.payloads.length < spec.steps.length) {
    return `payloads has ${spec.payloads.length} entries but steps has ${spec.steps.length}: every step needs a payload`;
  }
  return undefined;
}

export const sagaType: TransTypeDefinition = {
  name: 'saga',
  machine: sagaMachine,
  validate: (spec) => validateSteps(spec) ?? sagaCustomDataProblem(spec.customData, spec.steps.length),
};

export const msgType: TransTypeDefinition = {
  name: 'msg',
  machine: msgMachine,
  validate: (spec) => validateSteps(spec) ?? msgTopicProblem(spec) ?? msgCustomDataProblem(spec.customData),
  topics: msgTopicNames,
};

/** tcc, xa and workflow take no steps at creation: their rows come from registerBranch. */
function noSteps(spec: TransSpec): string | undefined {
  return spec.steps.length > 0 ? `steps: a ${spec.transType} transaction takes no steps (its branches are registered with registerBranch)` : undefined;
}

export const tccType: TransTypeDefinition = { name: 'tcc', machine: tccMachine, validate: noSteps, dueAt: twoPhaseDueAt };

export const xaType: TransTypeDefinition = {
  name: 'xa',
  machine: xaMachine,
  validate: noSteps,
  dueAt: twoPhaseDueAt,
  // a re-driven phase-2 call is POST like the first one
  outstanding: (ctx) => outstandingCalls(ctx, true),
};

/** workflow takes no steps: its rows are the progresses the client records; custom_data is checked by the machine. */
export const workflowType: TransTypeDefinition = { name: 'workflow', machine: workflowMachine, validate: noSteps };

export function createBuiltinRegistry(): TransTypeRegistry {
  const r = new TransTypeRegistry();
  r.register(sagaType);
  r.register(msgType);
  r.register(tccType);
  r.register(xaType);
  r.register(workflowType);
  return r;
}
