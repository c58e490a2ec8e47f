import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags `dtx serve` is started with wherever this project starts it: the `dtx` binary's shebang
 * (`#!/usr/bin/env -S node ...`), `npm start`, the Docker image's entrypoint, and every test and
 * benchmark that spawns a server (a unit test keeps those places equal to this list). They must be
 * on the node command line: V8 sizes the young generation when the isolate starts.
 *
 * - `--max-semi-space-size=4` (MiB): V8 grows each of the two semi-spaces to 16 MiB under load, 32
 *   MiB of resident young generation for a heap whose live size is ~27 MiB (half of it code and
 *   module source). A coordinator's young objects live for a commit or a branch call, a few ms, so
 *   4 MiB semi-spaces still let almost all of them die young: RSS under load 154 -> 126 MiB for
 *   0.02-0.045 ms more GC per saga, 4-5% of dtx's CPU (docs/benchmarks.md, "Memory").
 * - `--v8-pool-size=1`: node gives V8 four helper threads by default, whatever the machine, for
 *   concurrent marking, parallel scavenges and background compiles. For a heap of tens of MiB one
 *   is enough: RSS under load 6-11 MiB lower, sagas/s and CPU per saga unchanged within the noise
 *   on the 2-core bench machine (docs/benchmarks.md, "V8's helper threads").
 *
 * A later flag of the same name on the command line wins, to trade the other way.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--v8-pool-size=1'];

/**
 * V8 flags `startDtx` sets at run time, once per process, each unless the node command line sets
 * that flag itself (either form, `--name` or `--no-name`). Unlike the young generation's size they
 * take effect after the isolate has started.
 *
 * - `--heap-growing-percent=30`: a coordinator's heap is small (tens of MiB live) but it allocates
 *   fast, and much of what it allocates lives for a commit (an fsync) or a branch call, long enough
 *   to reach the old generation. V8 then lets the old generation grow to about 4x the live size
 *   between full collections: +60-80 MiB of RSS that is only garbage. 30% growth keeps RSS near
 *   the live size for ~5-10% more CPU per saga (empty sagas, c=50: peak RSS 234 -> 159 MiB).
 * - `--no-allocation-site-pretenuring`: under load V8 decides to allocate the objects of some
 *   allocation sites straight in the old generation (`--trace-pretenuring`: 29 such decisions in
 *   12 s at 1,000 sagas/s), after a scavenge found most of that site's objects alive. A request's
 *   objects are short-lived: allocated old, they die old, and until the next full collection they
 *   keep alive the young objects they point to, which the scavenges then promote. Without it, 3.4%
 *   of the young generation's bytes are promoted instead of 4.6-9.6%, full collections are fewer
 *   and the submit p99 at 1,000 sagas/s fell from 10-38 to 6-10 ms, same CPU and RSS
 *   (docs/benchmarks.md, "Allocation-site pretenuring").
 */
const RUNTIME_FLAGS: ReadonlyArray<{ readonly name: string; readonly setting: string }> = [
  { name: 'heap-growing-percent', setting: '--heap-growing-percent=30' },
  { name: 'allocation-site-pretenuring', setting: '--no-allocation-site-pretenuring' },
];
let applied = false;

/** Whether the node command line (`execArgv`) sets V8 flag `name`: `--name[=v]`, `--no-name`, `_` for `-`. */
export function setOnCommandLine(name: string, execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => {
    if (!arg.startsWith('--')) return false;
    const flag = arg.slice(2).split('=')[0]!.replaceAll('_', '-');
    return flag === name || flag === `no-${name}` || flag === `no${name}`;
  });
}

/** Sets RUNTIME_FLAGS (once per process); returns the settings it applied. */
export function applyHeapPolicy(execArgv: readonly string[] = process.execArgv): readonly string[] {
  if (applied) return [];
  applied = true;
  const settings = RUNTIME_FLAGS.filter((f) => !setOnCommandLine(f.name, execArgv)).map((f) => f.setting);
  for (const s of settings) setFlagsFromString(s);
  return settings;
}

/**
 * Node flags of the parallel `dtx replay --all`'s worker processes (parallel-replay.ts). The audit
 * allocates a page's rows, parsed events and folded contexts at a high rate and keeps almost none
 * of it: 32 MiB semi-spaces scavenge a fraction as often as serve's 4 and the audit took 15-25%
 * less CPU (docs/benchmarks.md, "Replay"). A worker lives for one audit; its RSS is not a server's.
 */
export const AUDIT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--v8-pool-size=1'];
