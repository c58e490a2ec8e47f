import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startDtx, tempDir } from '../support/dtx-process.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');

async function serveExpectingFailure(env: Record<string, string>, args: string[] = []): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, 'serve', ...args], { env: { PATH: process.env.PATH ?? '', HTTP_PORT: '0', STORE_DATA_DIR: tempDir(), ...env }, timeout: 15_000 });
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error('dtx serve was expected to exit with an error');
}

/** Configuration errors stop the process with exit code 2 and a message naming the key. */
describe('dtx CLI and configuration', () => {
  it('a bad env value exits 2 naming the key', async () => {
    const r = await serveExpectingFailure({ RETRY_INTERVAL: '5' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RetryInterval should not be less than 10');
  });

  it('a refused store driver exits 2 naming Store.Driver', async () => {
    const r = await serveExpectingFailure({ STORE_DRIVER: 'mysql' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Store.Driver');
  });

  it('a YAML file overrides env; a missing file exits 2', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'conf.yml');
    writeFileSync(file, 'HttpPort: 0\nStore:\n  Driver: boltdb\n');
    const dtx = await startDtx({ args: ['-c', file], env: { STORE_DRIVER: 'sqlite' } });
    expect(dtx.logs.some((l) => l.includes("Store.Driver 'boltdb' is an alias of 'sqlite'"))).toBe(true);
    await dtx.kill();
    const missing = await serveExpectingFailure({}, ['-c', path.join(dir, 'nope.yml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('-c');
  });

  it('a second process on the same data dir refuses to start', async () => {
    const dataDir = tempDir();
    const first = await startDtx({ dataDir });
    const second = await serveExpectingFailure({ STORE_DATA_DIR: dataDir });
    expect(second.code).toBe(1);
    expect(second.stderr + first.logs.join('\n')).toMatch(/lock|busy|in use/i);
    await first.kill();
  });

  it('-v prints the version', async () => {
    const { stdout } = await run(process.execPath, [CLI, '-v']);
    expect(stdout).toMatch(/^dtm version: v\d+\.\d+\.\d+-dtx/);
  });
});
