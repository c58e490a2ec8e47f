// Fault injection for a real dtx process (test/integration/log-failure.int.test.ts), preloaded with
// NODE_OPTIONS=--import: once the file named by FAIL_FDATASYNC_WHEN exists, every fs.fdatasync of
// the process fails with EIO, as on a disk that lost a write. Before that, fdatasync is untouched.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setImmediate } from 'node:timers';

const marker = process.env.FAIL_FDATASYNC_WHEN;
const real = fs.fdatasync;
fs.fdatasync = (fd, done) => {
  if (marker === undefined || !fs.existsSync(marker)) return real(fd, done);
  const err = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
  setImmediate(() => done(err));
};
syncBuiltinESMExports();
