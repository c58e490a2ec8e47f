// Fault injection for a real dtx process (test/integration/log-failure.int.test.ts), preloaded with
// NODE_OPTIONS=--import (into its worker threads too): once the file named by FAIL_FDATASYNC_WHEN
// exists, every fs.fdatasync of the process fails with EIO, as on a disk that lost a write; once
// the file named by FAIL_FDATASYNC_SYNC_WHEN exists, every fs.fdatasyncSync does (the writer
// thread's sync of the database after a checkpoint). Before that, both are untouched.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setImmediate } from 'node:timers';

/** The error node gives a failed fdatasync(2): what a disk that lost a write reports. */
const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
/** Whether the file `marker` names exists: the fault is armed. */
const armed = (marker) => marker !== undefined && fs.existsSync(marker);

const marker = process.env.FAIL_FDATASYNC_WHEN;
const real = fs.fdatasync;
fs.fdatasync = (fd, done) => {
  if (!armed(marker)) return real(fd, done);
  const err = eio();
  setImmediate(() => done(err));
};
const syncMarker = process.env.FAIL_FDATASYNC_SYNC_WHEN;
const realSync = fs.fdatasyncSync;
fs.fdatasyncSync = (fd) => {
  if (!armed(syncMarker)) return realSync(fd);
  throw eio();
};
syncBuiltinESMExports();
