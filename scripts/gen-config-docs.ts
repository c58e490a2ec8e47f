/**
 * Writes docs/config.md and conf.sample.yml from the config schema and `CONFIG_DOCS`
 * (src/config/config-docs.ts). test/unit/config/config-reference.test.ts fails when the committed
 * files differ from what this writes.
 *
 *   npm run docs:config
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference, renderSampleConfig } from '../src/config/index.js';

/** The repository root: this file runs from dist/scripts. */
const ROOT = path.resolve(import.meta.dirname, '../..');

writeFileSync(path.join(ROOT, 'docs', 'config.md'), renderConfigReference());
writeFileSync(path.join(ROOT, 'conf.sample.yml'), renderSampleConfig());
process.stdout.write('wrote docs/config.md and conf.sample.yml\n');
