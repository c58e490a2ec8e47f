import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dir.js';

// A setup file: its afterAll runs after the test file's own (hooks unwind in reverse), when the
// file's dtx processes and branch servers have been stopped.
afterAll(() => {
  const failed = removeTempDirs();
  if (failed.length > 0) throw new Error(`temp dirs not removed: ${failed.join(', ')}`);
});
