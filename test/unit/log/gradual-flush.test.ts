import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flushGradually } from '../../../src/log/sqlite/sqlite-backup.js';
import { tempDir } from '../../support/temp-dir.js';

/** `dtx backup`'s flusher: a thread that fdatasyncs the copy while SQLite writes it on this one. */
describe('flushGradually', () => {
  it('flushes the file while it is written, and its stop ends the thread after the flush in progress', () => {
    const fd = fs.openSync(path.join(tempDir('dtx-flush-'), 'copy'), 'wx', 0o600);
    try {
      const stop = flushGradually(fd, 5);
      // written synchronously, as VACUUM INTO does: the flusher runs on its own thread meanwhile
      const chunk = Buffer.alloc(64 * 1024, 1);
      const until = performance.now() + 300;
      while (performance.now() < until) fs.writeSync(fd, chunk);
      const t0 = performance.now();
      const flushes = stop();
      expect(flushes).toBeGreaterThan(0);
      expect(performance.now() - t0).toBeLessThan(10_000); // it ended: the stop did not wait out its bound
      expect(stop()).toBe(flushes); // no flush after the stop
    } finally {
      fs.closeSync(fd);
    }
  });
});
