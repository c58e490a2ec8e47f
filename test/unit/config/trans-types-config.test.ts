import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, envNameOf, resolveConfig } from '../../../src/config/index.js';
import { tempDir as makeTempDir } from '../../support/temp-dir.js';

/** `TransTypes`: modules of custom transaction types loaded at start (docs/custom-types.md). */

const tempDir = makeTempDir('dtx-config-tt-');
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const file = join(tempDir, name);
  writeFileSync(file, text);
  return file;
}

function keyOfError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).key;
  }
  throw new Error('expected a ConfigError');
}

describe('TransTypes config key', () => {
  it('defaults to an empty, frozen list', () => {
    const { config } = resolveConfig({});
    expect(config.TransTypes).toEqual([]);
    expect(Object.isFrozen(config.TransTypes)).toBe(true);
  });

  it('is read from TRANS_TYPES as a comma-separated list, blanks dropped', () => {
    expect(envNameOf(['TransTypes'])).toBe('TRANS_TYPES');
    const { config } = resolveConfig({ env: { TRANS_TYPES: ' ./a.js, /abs/b.mjs ,,@acme/dtx-quorum ' } });
    expect(config.TransTypes).toEqual(['./a.js', '/abs/b.mjs', '@acme/dtx-quorum']);
  });

  it('treats an empty TRANS_TYPES as unset', () => {
    expect(resolveConfig({ env: { TRANS_TYPES: '' } }).config.TransTypes).toEqual([]);
  });

  it('reads a YAML list, which beats env', () => {
    const file = yamlFile('list.yml', 'TransTypes:\n  - ./types/quorum.js\n  - dtx-quorum\n');
    const { config } = resolveConfig({ env: { TRANS_TYPES: './env.js' }, file });
    expect(config.TransTypes).toEqual(['./types/quorum.js', 'dtx-quorum']);
  });

  it('takes overrides (embedders, tests)', () => {
    expect(resolveConfig({ overrides: { TransTypes: ['/x/y.js'] } }).config.TransTypes).toEqual(['/x/y.js']);
  });

  it('refuses a YAML scalar and blank entries, naming the key', () => {
    expect(keyOfError(() => resolveConfig({ file: yamlFile('scalar.yml', 'TransTypes: ./a.js\n') }))).toBe('TransTypes');
    expect(keyOfError(() => resolveConfig({ file: yamlFile('blank.yml', 'TransTypes:\n  - "  "\n') }))).toBe('TransTypes.0');
  });
});
