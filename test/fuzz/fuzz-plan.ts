/**
 * How many cases a fuzz run makes and with which seed. `npm test` runs a fixed seed and a few
 * thousand cases (FUZZ_RUNS, default 2400); `npm run fuzz` sets FUZZ_RUNS=100000 and
 * FUZZ_SEED=random. A failure prints the seed (and fast-check's path) so that
 * `FUZZ_SEED=<seed> FUZZ_RUNS=<n> npx vitest run test/fuzz/http-api.fuzz.test.ts` reproduces it.
 */
export interface FuzzPlan {
  readonly seed: number;
  readonly total: number;
  /** cases per property */
  readonly runner: number;
  readonly bodies: number;
  readonly sequences: number;
  readonly raw: number;
  readonly queries: number;
  /** topic/KV routes, registerBranch, prepareWorkflow */
  readonly topics: number;
  /** print a progress line every this many cases (0 = never) */
  readonly progressEvery: number;
  /** force-stop the open transactions every this many cases (0 = only at the end) */
  readonly sweepEvery: number;
}

const DEFAULT_RUNS = 2400;
const DEFAULT_SEED = 20_261_129;

export function fuzzPlan(env: Readonly<Record<string, string | undefined>>): FuzzPlan {
  const total = Number(env.FUZZ_RUNS ?? DEFAULT_RUNS);
  if (!Number.isInteger(total) || total < 10) throw new Error(`FUZZ_RUNS must be an integer >= 10, got ${env.FUZZ_RUNS}`);
  const seedText = env.FUZZ_SEED ?? String(DEFAULT_SEED);
  const seed = seedText === 'random' ? (Date.now() ^ (process.pid << 16)) >>> 0 : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or 'random', got ${seedText}`);
  const runner = Math.max(5, Math.round(total * 0.08));
  const sequences = Math.max(5, Math.round(total * 0.08));
  const raw = Math.max(5, Math.round(total * 0.1));
  const queries = Math.max(5, Math.round(total * 0.15));
  const topics = Math.max(5, Math.round(total * 0.1));
  const bodies = Math.max(5, total - runner - sequences - raw - queries - topics);
  return { seed, total, runner, bodies, sequences, raw, queries, topics, progressEvery: total >= 10_000 ? 2000 : 0, sweepEvery: total >= 20_000 ? 5000 : 0 };
}

/** A progress line on stderr (vitest shows it; the lint bans console). */
export function progress(text: string): void {
  process.stderr.write(`[fuzz] ${text}\n`);
}
