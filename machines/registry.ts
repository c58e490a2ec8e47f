import type { TransTypeDefinition } from './trans-type.js';
import type { TransSpec } from './vocabulary.js';
import { sagaMachine } from './saga.machine.js';
import { msgMachine } from './msg.machine.js';
import { msgCustomDataProblem, sagaCustomDataProblem } from './custom-data-rules.js';
import { msgTopicNames, msgTopicProblem } from './msg-steps.js';

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

export function createBuiltinRegistry(): TransTypeRegistry {
  const r = new TransTypeRegistry();
  r.register(sagaType);
  r.register(msgType);
  return r;
}
