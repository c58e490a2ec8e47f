import type { TransTypeDefinition } from './trans-type.js';
import type { TransSpec } from './vocabulary.js';
import { sagaMachine } from './saga.machine.js';
import { msgMachine } from './msg.machine.js';

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
  validate(spec) {
    const err = validateSteps(spec);
    if (err) return err;
    if (spec.customData !== '') {
      try {
        const v: unknown = JSON.parse(spec.customData);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'custom_data must be a JSON object';
        const orders = (v as { orders?: unknown }).orders;
        if (orders !== undefined && orders !== null) {
          if (typeof orders !== 'object' || Array.isArray(orders)) return 'custom_data.orders must be an object of step index -> [step indexes]';
          for (const [k, deps] of Object.entries(orders)) {
            const n = Number(k);
            if (!Number.isInteger(n) || n < 0 || n >= spec.steps.length) return `custom_data.orders key '${k}' is not a step index`;
            if (!Array.isArray(deps) || deps.some((d) => !Number.isInteger(d) || d < 0 || d >= spec.steps.length || d === n)) {
              return `custom_data.orders['${k}'] must list other step indexes (0..${spec.steps.length - 1})`;
            }
          }
        }
      } catch {
        return 'custom_data is not valid JSON';
      }
    }
    return undefined;
  },
};

export const msgType: TransTypeDefinition = {
  name: 'msg',
  machine: msgMachine,
  validate(spec) {
    const err = validateSteps(spec);
    if (err) return err;
    if (spec.steps.some((s) => (s.action ?? '').startsWith('topic://'))) return 'msg topics (topic://) are not supported yet';
    if (spec.customData !== '') {
      try {
        JSON.parse(spec.customData);
      } catch {
        return 'custom_data is not valid JSON';
      }
    }
    return undefined;
  },
};

export function createBuiltinRegistry(): TransTypeRegistry {
  const r = new TransTypeRegistry();
  r.register(sagaType);
  r.register(msgType);
  return r;
}
