// Fault injection for a real dtx process (test/integration/log-failure.int.test.ts), preloaded with
// NODE_OPTIONS=--import: once the file named by FAIL_FDATASYNC_WHEN exists, every fs.fdatasync of
// the process fails with EIO, as on a disk that lost a write; once the file named by
// FAIL_DB_FDATASYNC_WHEN exists, every fs.fdatasync of a file other than the WAL does (the sync of
// the database after a checkpoint). Before that, fdatasync is untouched.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setImmediate } from 'node:timers';

/** The error node gives a failed fdatasync(2): what a disk that lost a write reports. */
const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
/** Whether the file `marker` names exists: the fault is armed. */
const armed = (marker) => marker !== undefined && fs.existsSync(marker);
/** Whether descriptor `fd` is open on a WAL (`dtx.db-wal`). */
const onWal = (fd) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('-wal');
  } catch {
    return false;
  }
};

const marker = process.env.FAIL_FDATASYNC_WHEN;
const dbMarker = process.env.FAIL_DB_FDATASYNC_WHEN;
const real = fs.fdatasync;
fs.fdatasync = (fd, done) => {
  if (!armed(marker) && !(armed(dbMarker) && !onWal(fd))) return real(fd, done);
  const err = eio();
  setImmediate(() => done(err));
};
syncBuiltinESMExports();
