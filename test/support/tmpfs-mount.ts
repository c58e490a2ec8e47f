import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { tempDir } from './temp-dir.js';

/**
 * A real tmpfs of a chosen size, for tests of a disk that fills up: mounted on a temp dir (the
 * tests run as root, as the project's install scripts do), grown as an operator freeing space
 * would, and unmounted before the setup file removes the temp dirs (never a mount left behind).
 */
export class TmpfsMount {
  readonly dir = tempDir('dtx-tmpfs-');
  #mounted = false;

  /** Mounts it at `size` (e.g. '12m'); fails naming what the test needs when this is not root. */
  mount(size: string): void {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', this.dir]);
    } catch (err) {
      throw new Error(`this test mounts a tmpfs: run the tests as root (the install scripts need it too): ${(err as Error).message}`);
    }
    this.#mounted = true;
  }

  /** Gives it `size`: more room, as freeing space does. */
  grow(size: string): void {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `remount,size=${size}`, 'tmpfs', this.dir]);
  }

  unmount(): void {
    if (this.#mounted) execFileSync('umount', ['-l', this.dir]);
    this.#mounted = false;
  }
}

/** Writes `file` until its filesystem has no room left (ENOSPC). */
export function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const block = Buffer.alloc(1 << 20, 1); ; ) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
