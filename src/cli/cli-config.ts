import { InvalidArgumentError } from 'commander';
import { ConfigError, resolveConfigFromProcess, type DeepPartial, type ResolvedConfig, type ResolvedConfigResult } from '../config/index.js';

/** Flags every command shares: where the config is and which data dir to use. */
export interface ConfigFlags {
  readonly config?: string;
  readonly dataDir?: string;
}

/** `dtx serve` flags that override config keys (they win over env and file). */
export interface ServeFlags extends ConfigFlags {
  readonly port?: number;
  readonly grpcPort?: number;
  readonly host?: string;
}

/** Commander parser of `--port`-like flags: an integer 0..65535, else a usage error naming it. */
export function portArg(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number 0..65535 (0 = any free port)');
  return Number(value);
}

/** Commander parser of counts: an integer >= 1. */
export function countArg(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be an integer 1..999999');
  return Number(value);
}

/** Commander parser of `--threads`: an integer 1..64. */
export function threadsArg(value: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new InvalidArgumentError('must be an integer 1..64');
  return Number(value);
}

function overridesOf(flags: ServeFlags): DeepPartial<ResolvedConfig> {
  return {
    ...(flags.port !== undefined ? { HttpPort: flags.port } : {}),
    ...(flags.grpcPort !== undefined ? { GrpcPort: flags.grpcPort } : {}),
    ...(flags.host !== undefined ? { HttpHost: flags.host } : {}),
    ...(flags.dataDir !== undefined ? { Store: { DataDir: flags.dataDir } } : {}),
  };
}

/**
 * The configuration of this run: defaults, env, `-c` file, then the flags. A bad value ends the
 * process with exit code 2 and one line naming the key.
 */
export function loadConfig(flags: ServeFlags): ResolvedConfigResult {
  try {
    return resolveConfigFromProcess(flags.config, overridesOf(flags));
  } catch (err) {
    if (err instanceof ConfigError) exitOnConfigError(err);
    throw err;
  }
}

export function exitOnConfigError(err: ConfigError): never {
  process.stderr.write(`dtx: invalid configuration [${err.key}]: ${err.message}\n`);
  process.exit(2);
}
