import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags `dtx serve` is started with wherever this project starts it: the `dtx` binary's shebang
 * (`#!/usr/bin/env -S node ...`), `npm start`, the Docker image's entrypoint, and every test and
 * benchmark that spawns a server (a unit test keeps those places equal to this list). They must be
 * on the node command line: V8 sizes the young generation when the isolate starts.
 *
 * `--max-semi-space-size=4` (MiB): V8 grows each of the two semi-spaces to 16 MiB under load, 32 MiB
 * of resident young generation for a heap whose live size is ~27 MiB (half of it code and module
 * source). A coordinator's young objects live for a commit or a branch call, a few ms, so 4 MiB
 * semi-spaces still let almost all of them die young: RSS under load 154 -> 126 MiB for 0.02-0.045
 * ms more GC per saga, 4-5% of dtx's CPU (docs/benchmarks.md, "Memory"). A later
 * `--max-semi-space-size` on the command line wins, to trade the other way.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * A coordinator's heap is small (tens of MiB live) but it allocates fast, and much of what it
 * allocates lives for a commit (an fsync) or a branch call, long enough to reach the old
 * generation. V8 then lets the old generation grow to about 4x the live size between full
 * collections: +60-80 MiB of RSS that is only garbage. 30% growth keeps RSS near the live size
 * for ~5-10% more CPU per saga (empty sagas, c=50: peak RSS 234 -> 159 MiB). Unlike the young
 * generation's size this flag takes effect at run time, so `startDtx` sets it once per process,
 * and not when the node command line sets the flag itself.
 */
const HEAP_GROWING_PERCENT = 30;
let heapBounded = false;

export function boundHeapGrowth(): void {
  if (heapBounded || process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  heapBounded = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * Young generation of the SQLite writer thread (`resourceLimits.maxYoungGenerationSizeMb`): it
 * turns a batch message into statement parameters and drops them at the commit, so 6 MiB (2 MiB
 * semi-spaces) is plenty; V8's default lets it grow to 48.
 */
export const WRITER_YOUNG_GENERATION_MIB = 6;
