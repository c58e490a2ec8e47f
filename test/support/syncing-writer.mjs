// The real background writer (dist/src/log/sqlite/sqlite-append-worker.js) with its fs.fdatasyncSync
// watched (test/unit/log/sqlite-checkpoint-sync.test.ts): every call appends the synced file's path
// to `<db file>.synced`, and once `<db file>.fail-sync` exists every call fails with EIO, as on a
// disk that lost a write.
import fs from 'node:fs';
import { URL } from 'node:url';
import { workerData } from 'node:worker_threads';

const { file } = workerData;
const real = fs.fdatasyncSync;
fs.fdatasyncSync = (fd) => {
  fs.appendFileSync(`${file}.synced`, `${fs.readlinkSync(`/proc/self/fd/${fd}`)}\n`);
  if (fs.existsSync(`${file}.fail-sync`)) {
    throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
  }
  return real(fd);
};
await import(new URL('../../dist/src/log/sqlite/sqlite-append-worker.js', import.meta.url).href);
