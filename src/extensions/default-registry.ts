import { createBuiltinRegistry, type TransTypeDefinition, type TransTypeRegistry } from '../../machines/index.js';
import { checkTransType, RESERVED_TYPE_NAMES, TransTypeRefused } from './trans-type-checks.js';

/**
 * The process-wide list of custom transaction types registered in code. `startDtx` serves them
 * (with the built-ins and the `TransTypes` modules) unless it is handed its own registry;
 * `createBuiltinRegistry()` stays the isolated choice for tests and embedders.
 */
const registered = new Map<string, TransTypeDefinition>();

/** Names no custom type may take: dtm's types, dtx's built-ins, and those registered so far. */
export function takenTypeNames(): string[] {
  return [...new Set([...RESERVED_TYPE_NAMES, ...createBuiltinRegistry().names(), ...registered.keys()])];
}

/**
 * Registers a custom transaction type for every dtx started later in this process.
 * The type is checked first (vocabulary, determinism probe; docs/custom-types.md) and refused
 * with a `TransTypeRefused` naming every problem; a refused type is not registered. Idempotent
 * for the very same definition object; a different definition under a taken name is refused.
 */
export function registerTransType(def: TransTypeDefinition): void {
  const name = typeof def?.name === 'string' ? def.name : String(def?.name);
  if (registered.get(name) === def) return;
  const problems = checkTransType(def, takenTypeNames());
  if (problems.length > 0) throw new TransTypeRefused(`trans type '${name}' refused: ${problems.join('; ')}`);
  registered.set(name, def);
}

/** The types registered with `registerTransType`, in registration order. */
export function registeredTransTypes(): TransTypeDefinition[] {
  return [...registered.values()];
}

/** A fresh registry: the built-in types plus every type registered with `registerTransType`. */
export function defaultRegistry(): TransTypeRegistry {
  const r = createBuiltinRegistry();
  for (const def of registered.values()) r.register(def);
  return r;
}

/** Test hook: forgets every registered type. */
export function clearRegisteredTransTypes(): void {
  registered.clear();
}
