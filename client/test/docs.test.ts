import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The API reference is generated from the types by TypeDoc (`npm run docs -w client`); its
// configuration treats every warning (an exported type referring to an unexported one, a broken
// link in the README) as an error, so this test keeps the reference complete.
const CLIENT = path.resolve(import.meta.dirname, '..');
const out = mkdtempSync(path.join(tmpdir(), 'dtx-client-docs-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('API reference', () => {
  it('TypeDoc generates it without warnings, with every transaction type and the barrier', async () => {
    const typedoc = path.resolve(CLIENT, '../node_modules/typedoc/bin/typedoc');
    await promisify(execFile)(process.execPath, [typedoc, '--out', out], { cwd: CLIENT, timeout: 120_000 });
    const modules = readFileSync(path.join(out, 'modules.html'), 'utf8');
    for (const name of ['Saga', 'Msg', 'Tcc', 'Xa', 'Workflows', 'BranchBarrier', 'DtmFailure', 'DtmTransportError', 'tccGlobalTransaction', 'xaLocalTransaction', 'redisCheckAdjustAmount', 'dtmExpressHandler', 'dtmFastifyHandler', 'dtmGrpcHandler']) {
      expect(modules, name).toContain(`>${name}<`);
    }
    // the README is the reference's front page
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('Branch barrier');
  }, 150_000);
});
