import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, CONFIG_DOCS, configEntries, envNameOf, renderConfigReference, renderSampleConfig, resolveConfig } from '../../../src/config/index.js';
import { tempDir } from '../../support/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIX = 'run `npm run docs:config` and commit the result';

/** The config reference and the sample file are generated from the schema; they cannot drift. */
describe('docs/config.md and conf.sample.yml', () => {
  it('docs/config.md is what the schema and CONFIG_DOCS generate', () => {
    expect(readFileSync(path.join(ROOT, 'docs/config.md'), 'utf8'), FIX).toBe(renderConfigReference());
  });

  it('conf.sample.yml is what the schema and CONFIG_DOCS generate', () => {
    expect(readFileSync(path.join(ROOT, 'conf.sample.yml'), 'utf8'), FIX).toBe(renderSampleConfig());
  });

  it('every schema leaf has a meaning, an env name and a default, and CONFIG_DOCS names no other key', () => {
    const entries = configEntries();
    expect(entries.map((e) => e.key).sort()).toEqual(Object.keys(CONFIG_DOCS).sort());
    for (const e of entries) {
      expect(e.env).toBe(envNameOf(e.path));
      expect(e.defaultValue, e.key).not.toBeUndefined();
      expect(e.meaning.length, e.key).toBeGreaterThan(5);
    }
    expect(entries.find((e) => e.key === 'HttpHost')?.env).toBe('HTTP_HOST');
    expect(entries.find((e) => e.key === 'Log.Format')?.env).toBe('LOG_FORMAT');
  });

  it('the sample loads to the defaults as shipped (all commented) and with every value line uncommented', () => {
    const dir = tempDir('dtx-conf-');
    const active = path.join(dir, 'active.yml');
    writeFileSync(active, renderSampleConfig({ active: true }));
    for (const file of [path.join(ROOT, 'conf.sample.yml'), active]) {
      const { config, notices } = resolveConfig({ file });
      expect(config).toEqual(CONFIG_DEFAULTS);
      expect(notices).toEqual([]);
    }
    // the active variant really sets every key: each leaf appears as a value line
    const text = readFileSync(active, 'utf8');
    for (const e of configEntries()) expect(text).toMatch(new RegExp(`^ *${e.path.at(-1)!}: `, 'm'));
  });

});
