/**
 * Resolves the configuration once, at the edge of the process (STYLE L10, DESIGN §7).
 *
 * Load order (spec §12 `MustLoadConfig`, then the dtx test hook):
 *   1. defaults (`CONFIG_DEFAULTS`);
 *   2. env vars with dtm's names (`envNameOf`), an empty value counting as unset;
 *   3. the YAML file given with `-c`: keys present override env (YAML beats env, as in dtm);
 *   4. `overrides`: how tests and embedders pass config, never via NODE_ENV switches;
 *   5. dtm's post-load fix-ups (empty `GrpcServiceConfig` → round robin) and the `boltdb` alias;
 *   6. schema validation; the first failure is thrown as `ConfigError` naming the key and value;
 *   7. deep `Object.freeze`.
 *
 * This module is the only place in dtx that reads `process.env` (`resolveConfigFromProcess`).
 */
import { ConfigError, invalidValue } from './config-error.js';
import { kafkaSecurityNotices } from './kafka-security-schema.js';
import type { ConfigTree } from './config-layers.js';
import { applyLayer, readEnvLayer, readYamlFile } from './config-layers.js';
import type { DeepPartial, ResolvedConfig } from './config-schema.js';
import { CONFIG_DEFAULTS, ConfigSchema, DEFAULT_GRPC_SERVICE_CONFIG } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { unusedKeyNotices } from './unused-keys.js';

export { envNameOf } from './config-layers.js';

export interface ResolveConfigInput {
  /** Environment to read dtm's env vars from; none when absent (resolveConfig itself is pure). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of the YAML config file (`-c`); absent or '' means no file, as in dtm. */
  readonly file?: string;
  /** Highest-priority layer, applied after the file. */
  readonly overrides?: DeepPartial<ResolvedConfig>;
}

export interface ResolvedConfigResult {
  /** Deeply frozen: any write throws in strict-mode code. */
  readonly config: Readonly<ResolvedConfig>;
  /** Human-readable remarks for the start-up log (aliases applied, unknown keys ignored). */
  readonly notices: string[];
}

/** Notice recorded when `Store.Driver: boltdb` (dtm's default) is mapped to the embedded log. */
export const BOLTDB_ALIAS_NOTICE = "Store.Driver 'boltdb' is an alias of 'sqlite' in dtx";

/**
 * Builds the frozen configuration from defaults, `env`, the YAML `file` and `overrides`.
 * Throws `ConfigError` on the first invalid value (key = dotted YAML path) or, with key `-c`, when
 * the file is missing, unreadable or not a YAML mapping. Never reads `process.env`.
 */
export function resolveConfig(input: ResolveConfigInput = {}): ResolvedConfigResult {
  const notices: string[] = [];
  const merged = structuredClone(CONFIG_DEFAULTS) as ConfigTree;

  applyLayer(merged, readEnvLayer(input.env ?? {}), []);

  if (input.file !== undefined && input.file !== '') {
    const unknownKeys: string[] = [];
    applyLayer(merged, readYamlFile(input.file), unknownKeys);
    if (unknownKeys.length > 0) {
      notices.push(`Unknown keys ignored in config file '${input.file}': ${unknownKeys.join(', ')}`);
    }
  }

  if (input.overrides !== undefined) {
    const unknownKeys: string[] = [];
    applyLayer(merged, input.overrides as ConfigTree, unknownKeys);
    if (unknownKeys.length > 0) notices.push(`Unknown override keys ignored: ${unknownKeys.join(', ')}`);
  }

  applyFixUps(merged, notices);
  notices.push(...unusedKeyNotices(merged));

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue === undefined) throw new ConfigError('-', 'Invalid config');
    const key = issue.path.map(String).join('.');
    throw invalidValue(key, valueAt(merged, issue.path), issue.message);
  }
  notices.push(...kafkaSecurityNotices(parsed.data.Store));
  return { config: deepFreeze(parsed.data), notices };
}

/**
 * The process entry point's variant: reads `process.env` (and only here in dtx). `overrides` are
 * the CLI flags (`--port`, `--data-dir`, ...): they win over env and file.
 */
export function resolveConfigFromProcess(file?: string, overrides?: DeepPartial<ResolvedConfig>): ResolvedConfigResult {
  return resolveConfig({ env: process.env, ...(file !== undefined ? { file } : {}), ...(overrides !== undefined ? { overrides } : {}) });
}

/** Post-merge rewrites that happen before validation, so the schema sees final values. */
function applyFixUps(merged: ConfigTree, notices: string[]): void {
  // dtm step 4: an empty GrpcServiceConfig is reset to the round-robin default.
  if (merged['GrpcServiceConfig'] === '') merged['GrpcServiceConfig'] = DEFAULT_GRPC_SERVICE_CONFIG;
  // dtm's default store is boltdb; dtx serves the same zero-config role with embedded sqlite,
  // so dtm config files that name boltdb keep working.
  const store = merged['Store'] as ConfigTree;
  if (store['Driver'] === 'boltdb') {
    store['Driver'] = 'sqlite';
    notices.push(BOLTDB_ALIAS_NOTICE);
  }
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let node = tree;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}
