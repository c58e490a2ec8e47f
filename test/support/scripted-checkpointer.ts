import type { Checkpointer, CheckpointResult } from '../../src/log/sqlite/wal-checkpointer.js';

/**
 * A scripted checkpointer for the inline appender's unit tests: `copy` answers `result` (or throws
 * `copyFails`); with `manualSync` the database's fdatasync stays pending until `finishSync`, so a
 * test can commit while a checkpoint runs. `steps` records the order of pin, copy, sync and unpin.
 */
export class ScriptedCheckpointer implements Checkpointer {
  result: CheckpointResult = { frames: 1000, complete: true };
  copyFails: Error | undefined;
  manualSync = false;
  pinned = false;
  closed = false;
  readonly steps: string[] = [];
  #pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  get copies(): number {
    return this.steps.filter((s) => s === 'copy').length;
  }

  pin(): void {
    this.steps.push('pin');
    this.pinned = true;
  }

  unpin(): void {
    this.steps.push('unpin');
    this.pinned = false;
  }

  copy(): CheckpointResult {
    this.steps.push('copy');
    if (this.copyFails) throw this.copyFails;
    return this.result;
  }

  syncDatabase(): Promise<void> {
    this.steps.push('syncDatabase');
    if (!this.manualSync) return Promise.resolve();
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  /** Ends the pending database sync (with `err`: it failed), then lets the appender's continuations run. */
  async finishSync(err?: Error): Promise<void> {
    for (const p of this.#pending.splice(0)) if (err) p.reject(err); else p.resolve();
    await turns();
  }

  close(): void {
    this.closed = true;
  }
}

/** Lets every promise continuation queued now run (the appender's checkpoint is a chain of them). */
export function turns(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
