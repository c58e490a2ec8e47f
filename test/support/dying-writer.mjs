// A background writer that dies (test/unit/log/sqlite-hybrid-writer.test.ts): the first message
// sent to it throws outside any handler, so the thread exits with an uncaught error.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => {
  throw new Error('the writer thread crashed');
});
