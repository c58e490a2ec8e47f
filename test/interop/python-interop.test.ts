import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';

/**
 * Interop tier: dtm's Python SDK (`dtmcli` 1.7.7.0 from PyPI, installed into a venv by
 * scripts/python-sdk.sh) runs saga, msg (prepare/submit, do_and_submit, topic fan-out) and tcc
 * against the real dtx process, with a real Python HTTP branch service (test/interop/python).
 * A missing Python fails the run with the install hint: a skipped interop test is not a passed one.
 */
const PY_DIR = path.resolve(import.meta.dirname, 'python');
const INSTALL = path.resolve(import.meta.dirname, '../../scripts/python-sdk.sh');

/** The unittest methods of test_dtmcli.py that must pass today. */
const PY_TESTS = ['test_saga_normal', 'test_saga_rollback', 'test_msg_prepare_submit', 'test_msg_do_and_submit', 'test_msg_topic_fanout'] as const;

let dtx: DtxProcess;
let results = new Map<string, string>();
let output = '';

function installSdk(): string {
  const r = spawnSync('bash', [INSTALL], { encoding: 'utf8', timeout: 240_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`scripts/python-sdk.sh failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}\nThe Python SDK interop test needs python3 with venv (apt-get install python3 python3-venv) and PyPI.`);
  }
  return r.stdout.trim().split('\n').at(-1)!;
}

function runUnittest(python: string, api: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'unittest', '-v', 'test_dtmcli'], { cwd: PY_DIR, env: { ...process.env, DTX_SERVER: api, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

beforeAll(async () => {
  const python = installSdk();
  dtx = await startDtx();
  output = await runUnittest(python, dtx.api);
  // `test_x (test_dtmcli.SdkInterop.test_x) ... ok` (unittest -v)
  results = new Map([...output.matchAll(/^(test_\w+) \(.*?\) \.\.\. (.+)$/gm)].map((m) => [m[1]!, m[2]!]));
}, 300_000);

afterAll(async () => {
  await dtx?.kill();
});

describe('dtm Python SDK (dtmcli 1.7.7.0) against dtx', () => {
  it.each(PY_TESTS)('%s passes', (name) => {
    expect(results.get(name), `${name} in:\n${output}`).toBe('ok');
  });

  // Needs tcc in dtx (being built separately): fails with 501 "not supported by dtx yet" until then.
  it('test_tcc_normal passes (tcc through the Python SDK)', () => {
    expect(results.get('test_tcc_normal'), `test_tcc_normal in:\n${output}`).toBe('ok');
  });

  it('ran every test of test_dtmcli.py', () => {
    expect([...results.keys()].sort()).toEqual([...PY_TESTS, 'test_tcc_normal'].sort());
  });
});
