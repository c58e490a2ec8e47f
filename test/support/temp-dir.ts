import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Temp dirs of a test file (data dirs, certificates, configs): created under the OS temp dir and
 * removed after the file's last hook (`temp-dir-cleanup.ts`, a setup file of every project), so
 * runs leave nothing behind (they left ~1.5 GiB a day of them before).
 */
const created = new Set<string>();

export function tempDir(prefix = 'dtx-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Removes every dir `tempDir` made in this file's run; one that cannot be removed is reported, not thrown. */
export function removeTempDirs(): string[] {
  const failed: string[] = [];
  for (const dir of created) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      failed.push(dir);
    }
    created.delete(dir);
  }
  return failed;
}
