import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoZeroDriver } from '../../src/drivers/gozero-driver.js';
import { freePort } from '../support/free-port.js';
import { TEST_ETCD, uniqueName, waitFor, whoClient } from './driver-test-kit.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * dtm-driver-gozero against a real go-zero zrpc service (test/interop/gozero/cmd/busi, go-zero
 * v1.4.4) that registers itself in etcd: dtx's resolver finds it, and follows it when it restarts
 * on another port. Needs Go (modules come from the Go module proxy on the first run).
 */
const MODULE_DIR = path.resolve(import.meta.dirname, '../interop/gozero');
const INSTALL_HINT = 'Go >= 1.22 is required (test/interop/gozero builds a go-zero service): apt-get install golang-go, or https://go.dev/dl/ (tar -C /usr/local -xzf go*.tar.gz; PATH=$PATH:/usr/local/go/bin).';
const workDir = tempDir('dtx-gozero-svc-');
const BUSI = path.join(workDir, 'busi');
const key = uniqueName('trans.rpc');
const driver = new GoZeroDriver();
const running: ChildProcess[] = [];

interface Busi {
  readonly port: number;
  readonly proc: ChildProcess;
  readonly lines: string[];
}

async function startBusi(): Promise<Busi> {
  const port = await freePort();
  // go-zero logs to stderr; kept out of the test output (its CALL/READY lines come on stdout)
  const proc = spawn(BUSI, ['-port', String(port), '-etcd', TEST_ETCD, '-key', key], { stdio: ['ignore', 'pipe', 'ignore'] });
  running.push(proc);
  const lines: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(l));
  await waitFor(`busi on port ${port} to start`, () => lines.includes(`READY ${port}`), 30_000);
  return { port, proc, lines };
}

async function stopBusi(b: Busi): Promise<void> {
  const exited = new Promise((resolve) => b.proc.once('exit', resolve));
  b.proc.kill('SIGTERM'); // go-zero's graceful stop revokes its etcd lease
  await exited;
}

/** google.protobuf.StringValue{value} in protobuf wire format (field 1, length-delimited). */
function stringValue(value: string): Buffer {
  const bytes = Buffer.from(value);
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

function transIn(client: grpc.Client, gid: string, value = 'x'): Promise<void> {
  const md = new grpc.Metadata();
  md.set('dtm-gid', gid);
  const { method } = driver.parseServerMethod(`etcd://${TEST_ETCD}/${key}/interop.Busi/TransIn`);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, stringValue(value), md, { deadline: Date.now() + 3_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

beforeAll(() => {
  const built = spawnSync('go', ['build', '-o', BUSI, './cmd/busi'], { cwd: MODULE_DIR, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' }, timeout: 280_000 });
  if (built.error) throw new Error(`could not run go: ${built.error.message}. ${INSTALL_HINT}`);
  if (built.status !== 0) throw new Error(`go build ./cmd/busi failed:\n${built.stderr}`);
  driver.registerGrpcResolver();
}, 300_000);

afterAll(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await driver.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('dtm-driver-gozero and a real go-zero service', () => {
  it('reaches the zrpc service through its etcd registration and follows it to a new port', async () => {
    const { server } = driver.parseServerMethod(`etcd://${TEST_ETCD}/${key}/interop.Busi/TransIn`);
    const client = whoClient(server);
    try {
      const first = await startBusi();
      await transIn(client, 'gid-1');
      await waitFor('the service to log the call', () => first.lines.includes(`CALL TransIn gid-1 ${first.port}`), 5_000);
      await expect(transIn(client, 'gid-2', 'FAIL')).rejects.toMatchObject({ code: grpc.status.ABORTED });

      await stopBusi(first);
      const second = await startBusi();
      let n = 0;
      await waitFor('calls to reach the service on its new port', async () => {
        const gid = `gid-move-${++n}`;
        await transIn(client, gid).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50)); // the line may trail the reply
        return second.lines.includes(`CALL TransIn ${gid} ${second.port}`);
      }, 30_000);
      await transIn(client, 'gid-3');
      await waitFor('the moved service to log the call', () => second.lines.includes(`CALL TransIn gid-3 ${second.port}`), 5_000);
      expect(first.lines.filter((l) => l.startsWith('CALL TransIn gid-move') || l.startsWith('CALL TransIn gid-3'))).toEqual([]);
      await stopBusi(second);
    } finally {
      client.close();
    }
  });
});
