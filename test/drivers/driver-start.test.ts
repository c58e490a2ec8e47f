import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serveExpectingFailure, startDtx, tempDir } from '../support/dtx-process.js';
import { TEST_ETCD, testEtcd, uniqueName, waitFor } from './driver-test-kit.js';

/** `dtx serve` (the compiled CLI) selecting, loading and registering drivers at start (spec §11). */
const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const etcd = testEtcd();
afterAll(() => etcd.close());


describe('drivers at dtx start-up', () => {
  it('an unknown MicroService.Driver exits 2 naming the key', async () => {
    const r = await serveExpectingFailure({ MICRO_SERVICE_DRIVER: 'dtm-driver-nope' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('[MicroService.Driver]');
    expect(r.stderr).toContain('no dtm driver with name: dtm-driver-nope has been registered');
    expect(r.stderr).toContain('dtm-driver-gozero');
  });

  it('a MicroService.DriverModules module that cannot be loaded exits 2 naming the key', async () => {
    const r = await serveExpectingFailure({ MICRO_SERVICE_DRIVER_MODULES: path.join(FIXTURES, 'missing.mjs') });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('[MicroService.DriverModules]');
    expect(r.stderr).toContain('missing.mjs');
  });

  it('a target the driver cannot use exits 2 naming MicroService.Target', async () => {
    const consul = await serveExpectingFailure({ MICRO_SERVICE_DRIVER: 'dtm-driver-gozero', MICRO_SERVICE_TARGET: 'consul://127.0.0.1:8500/dtmservice', MICRO_SERVICE_END_POINT: '127.0.0.1:36790' });
    expect(consul.code, consul.stderr).toBe(2);
    expect(consul.stderr).toContain('[MicroService.Target]');
    expect(consul.stderr).toContain('consul registry');
  });

  it('without MicroService.EndPoint, dtx registers the address its gRPC ingress listens on', async () => {
    const key = uniqueName('dtmservice');
    const dtx = await startDtx({ env: { MICRO_SERVICE_DRIVER: 'dtm-driver-gozero', MICRO_SERVICE_TARGET: `etcd://${TEST_ETCD}/${key}` } });
    try {
      await waitFor('dtx to appear under its key', async () => Object.values(await etcd.getAll().prefix(`${key}/`).strings()).includes(`127.0.0.1:${dtx.grpcPort}`));
    } finally {
      await dtx.kill();
    }
  });

  for (const [module, name] of [['file-driver.mjs', 'fixture-file-driver'], ['public-api-driver.mjs', 'fixture-public-api']] as const) {
    it(`loads ${module} from MicroService.DriverModules, selects ${name}, registers and withdraws with it`, async () => {
      const registry = path.join(tempDir('dtx-driver-mod-'), 'registered.json');
      const dtx = await startDtx({
        env: {
          MICRO_SERVICE_DRIVER_MODULES: `${path.join(FIXTURES, 'file-driver.mjs')},${path.join(FIXTURES, module)}`,
          MICRO_SERVICE_DRIVER: name,
          MICRO_SERVICE_TARGET: pathToFileURL(registry).href,
          MICRO_SERVICE_END_POINT: '127.0.0.1:36790',
        },
      });
      await waitFor('the driver to register dtx', () => existsSync(registry));
      expect(JSON.parse(readFileSync(registry, 'utf8'))).toEqual({ driver: name, target: pathToFileURL(registry).href, endpoint: '127.0.0.1:36790' });
      expect(dtx.logs.some((l) => l.includes('"driver module loaded"') && l.includes(module))).toBe(true);
      await dtx.kill('SIGTERM');
      expect((await dtx.exited).code).toBe(0);
      expect(existsSync(registry)).toBe(false);
    });
  }

  it('dtm-driver-gozero registers dtx in etcd at start and revokes the lease at stop', async () => {
    const key = uniqueName('dtmservice');
    const dtx = await startDtx({
      env: { MICRO_SERVICE_DRIVER: 'dtm-driver-gozero', MICRO_SERVICE_TARGET: `etcd://${TEST_ETCD}/${key}`, MICRO_SERVICE_END_POINT: '127.0.0.1:36790' },
    });
    const values = async () => (await etcd.getAll().prefix(`${key}/`).strings());
    await waitFor('dtx to appear under its key', async () => Object.values(await values()).includes('127.0.0.1:36790'));
    await dtx.kill('SIGTERM');
    expect((await dtx.exited).code).toBe(0);
    expect(await values()).toEqual({}); // revoked before exit, not left to the 10 s TTL
  });
});
