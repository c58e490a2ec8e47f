/**
 * The peer of a side-by-side benchmark (bench/main.ts --peer-url / --peer): a dtm-compatible HTTP
 * server the same load generator drives with the same workloads as dtx.
 *   url        any server the user runs (`--peer-url`); the bench neither starts nor resets it, and
 *              reports CPU and RSS of the processes named by `--peer-pid` (e.g. dtm and its store).
 *   dtm-redis  real dtm v1.19.0 on Redis, started fresh for every run by scripts/dtm-redis.sh
 *              (`restart`: both servers stopped, Redis emptied) and stopped after the run; CPU and
 *              RSS of dtm and redis-server are reported.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { processName, type WatchedProcess } from './process-stats.js';
import type { BenchTarget } from './targets.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/dtm-redis.sh');
const run = promisify(execFile);

export type PeerSpec =
  | { readonly kind: 'url'; readonly url: string; readonly pids: readonly number[] }
  | { readonly kind: 'dtm-redis'; readonly appendfsync: 'no' | 'everysec' | 'always' };

/** Origin of a peer URL given with or without dtm's `/api/dtmsvr` path. */
export function peerOrigin(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`--peer-url must be an http:// URL (got ${url})`);
  return u.origin;
}

/** Short name of the peer in reports. */
export function peerName(spec: PeerSpec): string {
  return spec.kind === 'dtm-redis' ? 'dtm-redis' : 'peer';
}

function target(system: string, origin: string, watched: WatchedProcess[], notes: string[], stop: () => Promise<void>): BenchTarget {
  return {
    system,
    watched,
    alive: () => watched.every((p) => existsSync(`/proc/${p.pid}`)),
    origins: [origin],
    procs: [],
    notes,
    finalNotes: () => Promise.resolve([]),
    stop,
  };
}

/** Starts (dtm-redis) or attaches to (url) the peer for one run. */
export async function startPeer(spec: PeerSpec): Promise<BenchTarget> {
  if (spec.kind === 'url') {
    const watched = spec.pids.map((pid) => ({ name: processName(pid), pid }));
    const notes = [`peer ${spec.url} (run by the user, not restarted between runs)`];
    return target('peer', peerOrigin(spec.url), watched, notes, () => Promise.resolve());
  }
  const env = { ...process.env, REDIS_APPENDFSYNC: spec.appendfsync };
  let out: { stdout: string; stderr: string };
  try {
    out = await run('bash', [SCRIPT, 'restart'], { env, timeout: 900_000 });
  } catch (err) {
    throw new Error(`scripts/dtm-redis.sh restart failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const value = (key: string): string => {
    const v = new RegExp(`^${key}=(\\S+)$`, 'm').exec(out.stdout)?.[1];
    if (v === undefined) throw new Error(`scripts/dtm-redis.sh printed no ${key}: ${out.stderr}`);
    return v;
  };
  const watched = [
    { name: 'dtm', pid: Number(value('DTM_PID')) },
    { name: 'redis-server', pid: Number(value('REDIS_PID')) },
  ];
  const redisLine = /^dtm-redis: (Redis on .*)$/m.exec(out.stderr)?.[1] ?? 'Redis';
  const notes = [`dtm v1.19.0 (Store.Driver redis, LogLevel warn), ${redisLine}`];
  return target('dtm-redis', value('DTM_URL'), watched, notes, async () => {
    await run('bash', [SCRIPT, 'stop'], { env, timeout: 60_000 });
  });
}
