import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AUDIT_NODE_FLAGS, SERVE_NODE_FLAGS, setOnCommandLine } from '../../src/heap-policy.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** The number a node process started with `flags` writes after running `script` (`node -e`). */
function nodeNumber(flags: readonly string[], script: string): number {
  return Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
}

/** Size of the young generation's new space after allocating 200 MiB of objects that live a while. */
function newSpaceMiB(flags: readonly string[]): number {
  return nodeNumber(flags, `
    const v8 = require('node:v8');
    let keep = [];
    for (let i = 0; i < 2_000_000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20_000) keep = []; }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 1048576));`);
}

/** Threads of a node process started with `flags`, once V8's platform is up. */
function threadCount(flags: readonly string[]): number {
  return nodeNumber(flags, `process.stdout.write(String(require('node:fs').readdirSync('/proc/self/task').length));`);
}

describe('the node flags dtx serve runs with (SERVE_NODE_FLAGS)', () => {
  const flags = SERVE_NODE_FLAGS.join(' ');

  it('are on every command line this project starts dtx with', () => {
    expect(read('src/cli.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect(read('dist/src/cli.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start).toBe(`node ${flags} dist/src/cli.js serve`);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...SERVE_NODE_FLAGS, 'dist/src/cli.js']);
  });

  it('bound the young generation to 2 x 4 MiB under allocation, which V8 otherwise grows past it', () => {
    expect(newSpaceMiB(SERVE_NODE_FLAGS)).toBeLessThanOrEqual(8);
    expect(newSpaceMiB([])).toBeGreaterThan(8);
  });

  it('leave V8 one helper thread where node starts four (Linux: threads of the process)', () => {
    expect(threadCount(SERVE_NODE_FLAGS)).toBe(threadCount([]) - 3);
  });
});

describe('the node flags of the parallel audit\'s workers (AUDIT_NODE_FLAGS)', () => {
  // V8 grows the semi-spaces as survival asks, so how far they grow under this allocation varies
  // by run (16-32 MiB each seen, 32-64 of new space); what matters is leaving serve's cap of 8
  it('give a worker the larger young generation serve\'s flags would cap, even forked from a process started with them', () => {
    expect(newSpaceMiB(AUDIT_NODE_FLAGS)).toBeGreaterThan(8);
    // parallel-replay.ts forks its workers with execArgv = AUDIT_NODE_FLAGS from the dtx binary
    const dir = mkdtempSync(path.join(tmpdir(), 'dtx-heap-'));
    try {
      const child = path.join(dir, 'child.cjs');
      writeFileSync(child, `
        const v8 = require('node:v8');
        let keep = [];
        for (let i = 0; i < 2_000_000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20_000) keep = []; }
        process.send(v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size / 1048576);`);
      const forked = nodeNumber(SERVE_NODE_FLAGS, `
        const child = require('node:child_process').fork(${JSON.stringify(child)}, [], { execArgv: ${JSON.stringify(AUDIT_NODE_FLAGS)} });
        child.on('message', (m) => { process.stdout.write(String(m)); child.disconnect(); });`);
      expect(forked).toBeGreaterThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the V8 flags dtx sets at run time (applyHeapPolicy)', () => {
  const fresh = async () => {
    vi.resetModules();
    return (await import('../../src/heap-policy.js')).applyHeapPolicy;
  };

  it('sets the old generation\'s growth and turns allocation-site pretenuring off, once per process', async () => {
    const apply = await fresh();
    expect(apply([])).toEqual(['--heap-growing-percent=30', '--no-allocation-site-pretenuring']);
    expect(apply([])).toEqual([]);
  });

  it('leaves a flag the node command line sets to the command line', async () => {
    expect((await fresh())(['--max-semi-space-size=4', '--heap-growing-percent=100'])).toEqual(['--no-allocation-site-pretenuring']);
    expect((await fresh())(['--allocation-site-pretenuring'])).toEqual(['--heap-growing-percent=30']);
    expect((await fresh())(['--heap_growing_percent=50', '--no-allocation-site-pretenuring'])).toEqual([]);
  });

  it('recognises every spelling node and V8 accept, and nothing else', () => {
    for (const arg of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--noallocation-site-pretenuring', '--allocation_site_pretenuring', '--no_allocation_site_pretenuring']) {
      expect(setOnCommandLine('allocation-site-pretenuring', [arg]), arg).toBe(true);
    }
    expect(setOnCommandLine('heap-growing-percent', ['--heap-growing-percent=100'])).toBe(true);
    for (const arg of ['--heap-growing-percentage=5', 'heap-growing-percent', '-heap-growing-percent', '--max-semi-space-size=4']) {
      expect(setOnCommandLine('heap-growing-percent', [arg]), arg).toBe(false);
    }
  });
});
