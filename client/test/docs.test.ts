import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The API reference is generated from the types by TypeDoc (`npm run docs -w client`, HTML into
// client/docs/api/). Its configuration treats every warning (an exported API referring to a type
// the package does not export, a broken link in the README, which is the front page) as an error:
// this test runs TypeDoc's conversion and validation without writing the HTML (the slow part).
const CLIENT = path.resolve(import.meta.dirname, '..');

describe('API reference', () => {
  it('TypeDoc converts and validates the package without a warning', async () => {
    const typedoc = path.resolve(CLIENT, '../node_modules/typedoc/bin/typedoc');
    const run = await promisify(execFile)(process.execPath, [typedoc, '--emit', 'none'], { cwd: CLIENT, timeout: 120_000 }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    expect(run.output).not.toMatch(/warning|error\]/);
    expect(run.code).toBe(0);
  }, 150_000);
});
