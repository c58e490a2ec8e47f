/**
 * Resource readings of the benchmark's processes and machine, from /proc (Linux): memory (RSS) and
 * CPU time of one process, busy CPU time of the machine.
 */
import { readFileSync } from 'node:fs';

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a process used so far, from /proc/<pid>/stat (clock ticks, 100 Hz
 * on Linux), or undefined once it is gone.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores, /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / 100;
  } catch {
    return 0;
  }
}

/** Samples RSS every `everyMs` until `stop()`, which returns the peak seen (including one last read). */
export function sampleRss(pid: number, everyMs = 500): { stop(): number } {
  let peak = rssMiB(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMiB(pid) ?? 0);
    },
  };
}

/** A process whose CPU time and RSS a benchmark run reports. */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

/** The command name of a process (/proc/<pid>/comm), e.g. `redis-server`, or `pid N` once gone. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return `pid ${pid}`;
  }
}

export interface ProcessUse {
  readonly name: string;
  readonly pid: number;
  /** CPU seconds used between start and stop (0 when the process was gone at start) */
  readonly cpuSeconds: number;
  readonly rssEnd: number | undefined;
  readonly rssPeak: number;
}

/**
 * Starts metering `procs`: CPU time from now, RSS sampled every `everyMs`. `stop()` returns each
 * process's use; call it once the load has drained (RSS end is read then).
 */
export function meterProcesses(procs: readonly WatchedProcess[], everyMs = 500): { stop(): ProcessUse[] } {
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const rss = procs.map((p) => sampleRss(p.pid, everyMs));
  return {
    stop: () =>
      procs.map((p, i) => ({
        name: p.name,
        pid: p.pid,
        cpuSeconds: Math.max(0, (cpuSeconds(p.pid) ?? 0) - (cpu0[i] ?? 0)),
        rssEnd: rssMiB(p.pid),
        rssPeak: rss[i]!.stop(),
      })),
  };
}
