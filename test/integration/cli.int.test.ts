import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serveExpectingFailure, startDtx, tempDir } from '../support/dtx-process.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');


/** The stderr of a failed start: exactly one line (no JSON log, no stack trace) is the answer. */
function oneLineFailure(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('dtx:'));
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

/** Configuration errors stop the process with exit code 2 and a message naming the key. */
describe('dtx CLI and configuration', () => {
  it('a bad env value exits 2 naming the key', async () => {
    const r = await serveExpectingFailure({ RETRY_INTERVAL: '5' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('RetryInterval should not be less than 10');
  });

  it('a refused store driver exits 2 naming Store.Driver', async () => {
    const r = await serveExpectingFailure({ STORE_DRIVER: 'mysql' });
    expect(r.code, r.stderr).toBe(2);
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
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('-c');
  });

  it('a second process on the same data dir refuses to start with one line naming the fix', async () => {
    const dataDir = tempDir();
    const first = await startDtx({ dataDir });
    const second = await serveExpectingFailure({ STORE_DATA_DIR: dataDir });
    expect(second.code, second.stderr).toBe(1);
    expect(oneLineFailure(second.stderr)).toBe(`dtx: cannot start: the data dir ${dataDir} is in use by another dtx process; stop that one, or give this one its own directory with --data-dir <dir> (STORE_DATA_DIR)`);
    await first.kill();
  });

  it('a port in use and an unresolvable host stop the start with one line naming the flag', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    const http = await serveExpectingFailure({ HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) });
    const grpc = await serveExpectingFailure({ HTTP_HOST: '127.0.0.1', GRPC_PORT: String(port) });
    busy.close();
    expect(http.code, http.stderr).toBe(1);
    expect(oneLineFailure(http.stderr)).toContain(`HTTP port ${port} on 127.0.0.1 is already in use`);
    expect(oneLineFailure(http.stderr)).toContain('--port <n> (HTTP_PORT)');
    expect(oneLineFailure(grpc.stderr)).toContain(`gRPC port ${port} on 127.0.0.1 is already in use`);
    expect(oneLineFailure(grpc.stderr)).toContain('--grpc-port <n> (GRPC_PORT)');
    const host = await serveExpectingFailure({ GRPC_PORT: '0' }, ['--host', 'dtx-no-such-host.invalid']);
    expect(host.code, host.stderr).toBe(1);
    expect(oneLineFailure(host.stderr)).toMatch(/cannot listen on host 'dtx-no-such-host\.invalid': the name does not resolve; set --host \(HTTP_HOST\)/);
  });

  it('serve flags override env: --port, --grpc-port, --host, --data-dir', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const dataDir = tempDir();
    const dtx = await startDtx({ args: ['--port', String(port), '--grpc-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], env: { HTTP_PORT: '1', STORE_DATA_DIR: path.join(dataDir, 'not-this') } });
    expect(dtx.port).toBe(port);
    expect(existsSync(path.join(dataDir, 'dtx.db'))).toBe(true);
    expect(dtx.logs.some((l) => l.includes('listening on all interfaces'))).toBe(false);
    await dtx.kill();
    const bad = await serveExpectingFailure({}, ['--port', '70000']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('--port');
  });

  it('-v prints the version', async () => {
    const { stdout } = await run(process.execPath, [CLI, '-v']);
    expect(stdout).toMatch(/^dtm version: v\d+\.\d+\.\d+-dtx/);
  });
});
