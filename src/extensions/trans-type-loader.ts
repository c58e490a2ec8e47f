import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { TransTypeDefinition, TransTypeRegistry } from '../../machines/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { defaultRegistry } from './default-registry.js';
import { checkSourcePurity, checkTransType, RESERVED_TYPE_NAMES, TransTypeRefused } from './trans-type-checks.js';

/**
 * Builds the registry a dtx process serves: the built-in types, the types registered in code
 * (`registerTransType`) and one type per module listed in config `TransTypes`. Each module is
 * scanned for purity *before* it is imported (its top-level code never runs when it would be
 * refused), then its definition is checked like a registered one. Any refusal throws
 * `TransTypeRefused` naming the module: the process must not start with a type it cannot trust.
 */
export async function buildRegistry(config: ResolvedConfig, logger: Pick<Logger, 'info'>, cwd: string = process.cwd()): Promise<TransTypeRegistry> {
  const registry = defaultRegistry();
  for (const specifier of config.TransTypes) {
    const { def, file } = await loadTransTypeModule(specifier, [...RESERVED_TYPE_NAMES, ...registry.names()], cwd);
    registry.register(def);
    logger.info({ transType: def.name, module: specifier, file }, 'custom trans type loaded');
  }
  return registry;
}

/** Loads and checks one `TransTypes` entry; throws `TransTypeRefused` naming it on any problem. */
export async function loadTransTypeModule(specifier: string, taken: readonly string[], cwd: string): Promise<{ def: TransTypeDefinition; file: string }> {
  const refuse = (file: string | undefined, problems: readonly string[]) =>
    new TransTypeRefused(`trans type module '${specifier}'${file !== undefined && file !== specifier ? ` (${file})` : ''} refused: ${problems.join('; ')}`);
  let file: string;
  try {
    file = resolveModuleFile(specifier, cwd);
  } catch (err) {
    throw refuse(undefined, [`cannot be resolved from ${cwd}: ${messageOf(err)}`]);
  }
  const impure = checkSourcePurity(file);
  if (impure.length > 0) throw refuse(file, impure);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw refuse(file, [`cannot be imported: ${messageOf(err)}`]);
  }
  const def = (mod['transType'] ?? mod['default']) as TransTypeDefinition | undefined;
  if (def === undefined) throw refuse(file, ['exports neither `transType` nor a default export (a TransTypeDefinition {name, machine, ...})']);
  const problems = checkTransType(def, taken);
  if (problems.length > 0) throw refuse(file, problems);
  return { def, file };
}

/**
 * File of a `TransTypes` entry: a `file:` URL; an absolute path or a path that names a file under
 * `cwd` (relative paths resolve against the working directory); else a package specifier,
 * resolved from `cwd` and then from dtx's own install.
 */
export function resolveModuleFile(specifier: string, cwd: string): string {
  if (specifier.startsWith('file:')) return fileURLToPath(specifier);
  const local = path.resolve(cwd, specifier);
  const explicit = path.isAbsolute(specifier) || /^\.\.?([\\/]|$)/.test(specifier);
  if (explicit || isFile(local)) {
    if (!isFile(local)) throw new Error(`no such file: ${local}`);
    return local;
  }
  try {
    return createRequire(path.join(cwd, 'package.json')).resolve(specifier);
  } catch {
    return fileURLToPath(import.meta.resolve(specifier));
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
