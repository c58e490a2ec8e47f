import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The Dockerfile's build stage runs npm scripts on the folders it copies; there is no Docker engine
 * on the CI machine to build the image, so this checks what the build needs against what it is
 * given: every npm script it runs exists, and every workspace such a script builds (`-w <dir>`) is
 * copied in. (`npm run build` also builds the client SDK, `client/`, which the image leaves out:
 * the image builds with `build:server`.)
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** What the build stage copies from the context (`COPY a b ./dest`: a and b), before any `FROM` after the first. */
function copiedPaths(dockerfile: string): Set<string> {
  const buildStage = dockerfile.split(/^FROM /m)[1] ?? '';
  const copied = new Set<string>();
  for (const m of buildStage.matchAll(/^COPY (?!--)(.+)$/gm)) {
    const args = m[1]!.trim().split(/\s+/);
    for (const src of args.slice(0, -1)) copied.add(src.replace(/\/$/, ''));
  }
  return copied;
}

/** Every script `name` runs through `npm run`, itself included, with the workspaces (`-w x`) they name. */
function scriptClosure(name: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(name)) return seen;
  const body = scripts[name];
  if (body === undefined) throw new Error(`npm script "${name}" does not exist`);
  const workspaces = [...body.matchAll(/(?:-w|--workspace)[ =](\S+)/g)].map((m) => m[1]!);
  seen.set(name, workspaces);
  for (const m of body.matchAll(/npm run ([\w:-]+)(?![^&]*(?:-w|--workspace)[ =])/g)) scriptClosure(m[1]!, seen);
  return seen;
}

describe('the Docker image build', () => {
  const dockerfile = read('Dockerfile');
  const copied = copiedPaths(dockerfile);
  const runs = [...dockerfile.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);

  it('runs npm scripts that exist, on workspaces it copies', () => {
    expect(runs.length).toBeGreaterThan(0);
    for (const name of runs) {
      for (const [script, workspaces] of scriptClosure(name)) {
        for (const w of workspaces) expect(copied.has(w), `npm run ${script} builds workspace ${w}, which the Dockerfile does not copy`).toBe(true);
      }
    }
  });

  it('copies the sources tsc and the admin UI build read', () => {
    for (const dir of ['src', 'machines', 'ui', 'proto', 'tsconfig.json', 'package.json', 'package-lock.json']) expect(copied.has(dir), dir).toBe(true);
  });

  it('would catch the full build: `npm run build` builds the client workspace, which the image leaves out', () => {
    expect([...scriptClosure('build').values()].flat()).toContain('client');
    expect(copied.has('client')).toBe(false);
  });
});
