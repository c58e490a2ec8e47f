/**
 * The sources of configuration (spec §12) and how one source is laid over the merged tree.
 * The tree shape is the one of `ConfigSchema`: a nested `z.object` is a group (YAML mapping, env
 * prefix), every other field is a leaf whose env parsing follows the type of its default.
 * No function here reads `process.env`; the caller passes the environment in.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { z } from 'zod';
import { ConfigError, invalidValue } from './config-error.js';
import { CONFIG_DEFAULTS, ConfigSchema } from './config-schema.js';

/** A plain JSON-like object: the merged config while it is being built, or one layer of it. */
export type ConfigTree = Record<string, unknown>;
type Shape = Readonly<Record<string, z.ZodType>>;

const ROOT_SHAPE: Shape = ConfigSchema.shape;
const require = createRequire(import.meta.url);

/** yaml is loaded when a config file is read: without one, a server would hold its 0.9 MiB of heap for nothing. */
const parseYaml = (text: string): unknown => (require('yaml') as typeof Yaml).parse(text);

/**
 * Env-var name of a YAML path, as dtm's `toUnderscoreUpper`: join with `_`, split CamelCase before
 * each run of capitals, upper-case. `['MicroService','EndPoint']` → `MICRO_SERVICE_END_POINT`,
 * `['Log','RotationConfigJSON']` → `LOG_ROTATION_CONFIG_JSON`.
 */
export function envNameOf(path: readonly string[]): string {
  return path.join('_').replace(/([a-z])([A-Z]+)/g, '$1_$2').toUpperCase();
}

/**
 * Builds the env layer: one entry per schema leaf whose env var is set. As in dtm an empty value
 * counts as unset. Integers must be plain decimal integers, booleans true/false/1/0, record leaves
 * a JSON object, list leaves a comma-separated list (blank entries dropped). Throws `ConfigError` naming the key and the env var on a value that does not parse.
 */
export function readEnvLayer(env: Readonly<Record<string, string | undefined>>): ConfigTree {
  return envGroup(env, ROOT_SHAPE, CONFIG_DEFAULTS, []);
}

function envGroup(env: Readonly<Record<string, string | undefined>>, shape: Shape, defaults: unknown, path: string[]): ConfigTree {
  const layer: ConfigTree = {};
  for (const [key, schema] of Object.entries(shape)) {
    const keyPath = [...path, key];
    const fallback = (defaults as ConfigTree)[key];
    if (schema instanceof z.ZodObject) {
      const child = envGroup(env, schema.shape as Shape, fallback, keyPath);
      if (Object.keys(child).length > 0) layer[key] = child;
      continue;
    }
    const name = envNameOf(keyPath);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    layer[key] = parseEnvValue(raw, fallback, keyPath.join('.'), name);
  }
  return layer;
}

function parseEnvValue(raw: string, fallback: unknown, key: string, name: string): unknown {
  if (Array.isArray(fallback)) return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  switch (typeof fallback) {
    case 'number':
      // dtm's MustAtoi: a decimal integer, nothing else (no "10s", no "1e3", no blanks).
      if (/^[+-]?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
      throw invalidValue(key, raw, 'must be an integer', name);
    case 'boolean': {
      const word = raw.toLowerCase();
      if (word === 'true' || word === '1') return true;
      if (word === 'false' || word === '0') return false;
      throw invalidValue(key, raw, 'must be true, false, 1 or 0', name);
    }
    case 'object': {
      const value = tryParseJson(raw);
      if (isPlainObject(value)) return value;
      throw invalidValue(key, raw, 'must be a JSON object', name);
    }
    default:
      return raw;
  }
}

/**
 * The most the `-c` file may hold: dtm's own config is a few KB, and a MiB still takes thousands of
 * `TransTypes` or `Invoker.Allow` entries.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * The `-c` file's bytes, read until its end or past MAX_CONFIG_FILE_BYTES (then refused). Read as a
 * stream, not sized first: a pipe is a legitimate config file (`dtx serve -c <(render-config)`),
 * and a device that never ends (`/dev/zero`) is refused at the bound instead of filling the memory.
 */
function readConfigFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_CONFIG_FILE_BYTES) throw new Error(`it holds more than ${MAX_CONFIG_FILE_BYTES} bytes, the most a config file may`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and parses the `-c` YAML file. An empty file is an empty mapping (as in dtm). Any read or
 * parse failure, a file past MAX_CONFIG_FILE_BYTES, or a top level that is not a mapping, is a
 * `ConfigError` with key `-c`.
 */
export function readYamlFile(file: string): ConfigTree {
  let text: string;
  try {
    text = readConfigFile(file);
  } catch (err) {
    throw new ConfigError('-c', `Cannot read config file '${file}': ${errorText(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError('-c', `Cannot parse config file '${file}' as YAML: ${errorText(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new ConfigError('-c', `Config file '${file}' must hold a YAML mapping at top level`);
  return doc;
}

/**
 * Lays `layer` over `target` in place: keys present in the layer win, group by group. Keys are
 * matched case-sensitively (dtm's yaml tags). Keys the schema does not know are skipped and their
 * dotted paths pushed to `unknownKeys`. `undefined` means "not set", and so does a null group
 * (`Store:` with nothing under it); a null leaf is kept and later refused by the schema. Leaf
 * values are copied, so freezing the result never freezes the caller's objects. Leaf types are
 * checked later by the schema; only a group given a non-mapping throws here.
 */
export function applyLayer(target: ConfigTree, layer: ConfigTree, unknownKeys: string[]): void {
  applyGroup(target, layer, ROOT_SHAPE, [], unknownKeys);
}

function applyGroup(target: ConfigTree, layer: ConfigTree, shape: Shape, path: string[], unknownKeys: string[]): void {
  for (const [key, value] of Object.entries(layer)) {
    const dotted = [...path, key].join('.');
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (schema === undefined) {
      unknownKeys.push(dotted);
      continue;
    }
    if (value === undefined || (value === null && schema instanceof z.ZodObject)) continue;
    if (schema instanceof z.ZodObject) {
      if (!isPlainObject(value)) throw invalidValue(dotted, value, 'must be a mapping');
      applyGroup(target[key] as ConfigTree, value, schema.shape as Shape, [...path, key], unknownKeys);
    } else {
      target[key] = structuredClone(value);
    }
  }
}

function isPlainObject(value: unknown): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

