import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sagaMachine } from '../../../machines/index.js';
import { resolveConfig } from '../../../src/config/index.js';
import { clearRegisteredTransTypes, defaultRegistry, registerTransType, registeredTransTypes } from '../../../src/extensions/default-registry.js';
import { TransTypeRefused } from '../../../src/extensions/trans-type-checks.js';
import { buildRegistry, resolveModuleFile } from '../../../src/extensions/trans-type-loader.js';
import { transType as quorumType } from '../../../examples/quorum/index.js';
import { tempDir } from '../../support/temp-dir.js';

/** Loading custom types: config `TransTypes` modules and `registerTransType`, refused with a clear error. */

const logger = pino({ level: 'silent' });
const dir = tempDir('dtx-loader-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => clearRegisteredTransTypes());

const moduleFile = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const configWith = (modules: string[]) => resolveConfig({ overrides: { TransTypes: modules } }).config;

async function refusal(modules: string[], cwd = process.cwd()): Promise<string> {
  try {
    await buildRegistry(configWith(modules), logger, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(TransTypeRefused);
    return (err as Error).message;
  }
  throw new Error('expected a TransTypeRefused');
}

describe('buildRegistry', () => {
  it('serves the built-ins with no TransTypes', async () => {
    expect((await buildRegistry(configWith([]), logger)).names()).toEqual(['saga', 'msg', 'tcc', 'xa', 'workflow']);
  });

  it('loads a module given relative to the working directory, by its `transType` export', async () => {
    const registry = await buildRegistry(configWith(['./examples/quorum/index.ts']), logger, process.cwd());
    expect(registry.names()).toEqual(['saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum']);
    expect(registry.get('quorum')?.machine).toBe(quorumType.machine);
  });

  it('resolves absolute paths, file: URLs and cwd-relative paths', () => {
    const f = moduleFile('where.mjs', 'export default 1;\n');
    expect(resolveModuleFile(f, '/')).toBe(f);
    expect(resolveModuleFile(`file://${f}`, '/')).toBe(f);
    expect(resolveModuleFile('where.mjs', dir)).toBe(f);
    expect(resolveModuleFile('./where.mjs', dir)).toBe(f);
  });

  it('refuses an impure module before importing it, naming the module and the problem', async () => {
    moduleFile('impure.mjs', "import { writeFileSync } from 'node:fs';\nglobalThis.__dtxImpureRan = true;\nexport const transType = {};\n");
    const message = await refusal(['./impure.mjs'], dir);
    expect(message).toContain("trans type module './impure.mjs'");
    expect(message).toContain("imports 'node:fs': machines must stay pure");
    expect((globalThis as { __dtxImpureRan?: boolean }).__dtxImpureRan).toBeUndefined();
  });

  it('refuses a missing module, a module without a definition and a broken definition', async () => {
    expect(await refusal(['./nope.mjs'], dir)).toMatch(/trans type module '.\/nope.mjs' refused: cannot be resolved from .*no such file/);
    moduleFile('empty.mjs', 'export const x = 1;\n');
    expect(await refusal(['./empty.mjs'], dir)).toContain('exports neither `transType` nor a default export');
    moduleFile('broken.mjs', "export default { name: 'broken', machine: {} };\n");
    expect(await refusal(['./broken.mjs'], dir)).toContain('machine is not an XState v5 machine');
    moduleFile('throws.mjs', "throw new Error('top-level boom');\n");
    expect(await refusal(['./throws.mjs'], dir)).toContain('cannot be imported: top-level boom');
  });

  it('refuses a second type under a taken name', async () => {
    const message = await refusal(['./examples/quorum/index.ts', './examples/quorum/index.ts']);
    expect(message).toContain("name 'quorum' clashes with a built-in or already registered trans type");
  });
});

describe('registerTransType', () => {
  it('adds a checked type to the default registry and to buildRegistry', async () => {
    registerTransType({ ...quorumType, name: 'quorum-reg' });
    expect(registeredTransTypes().map((d) => d.name)).toEqual(['quorum-reg']);
    expect(defaultRegistry().names()).toEqual(['saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum-reg']);
    expect((await buildRegistry(configWith([]), logger)).names()).toEqual(['saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum-reg']);
  });

  it('is idempotent for the same definition and refuses another one under the same name', () => {
    const def = { ...quorumType, name: 'quorum-reg' };
    registerTransType(def);
    registerTransType(def);
    expect(() => registerTransType({ ...def })).toThrow(/trans type 'quorum-reg' refused: name 'quorum-reg' clashes/);
  });

  it('refuses built-in names and bad machines; nothing is registered', () => {
    expect(() => registerTransType({ name: 'saga', machine: sagaMachine })).toThrow(TransTypeRefused);
    expect(() => registerTransType({ name: 'bad', machine: {} as never })).toThrow(/trans type 'bad' refused: machine is not an XState v5 machine/);
    expect(registeredTransTypes()).toEqual([]);
  });
});
