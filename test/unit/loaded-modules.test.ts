import { spawnSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/protocol/error-table.js';

/**
 * What a module graph loads is memory every server holds (docs/benchmarks.md, "Memory"). These
 * pin the packages dtx keeps out of the graphs that do not use them: grpc-js out of the SQLite
 * log's modules (`dtx replay --all`'s worker processes load them, and src/errors.ts for the error
 * table), yaml and pino-pretty out of a server that reads no config file and logs JSON.
 */
const ROOT = new URL('../..', import.meta.url).pathname;

/** The node_modules files (package-relative) that importing `entry` from dist loads. */
function loadedBy(entry: string): string[] {
  const script = [
    `import('./dist/src/${entry}').then(() => {`,
    '  const files = Object.keys(require.cache).filter((f) => f.includes("/node_modules/"));',
    '  console.log(JSON.stringify(files.map((f) => f.slice(f.lastIndexOf("/node_modules/") + 14))));',
    '});',
  ].join('\n');
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

describe('loaded modules', () => {
  it("the error table's gRPC codes are grpc-js's own status enum", () => {
    expect(ERROR_TABLE.DTX_BAD_REQUEST.grpcStatus).toBe(status.INVALID_ARGUMENT);
    expect(ERROR_TABLE.DTX_LOG_UNAVAILABLE.grpcStatus).toBe(status.UNAVAILABLE);
  });

  it("the SQLite log's modules leave grpc-js's index unloaded", () => {
    const loaded = loadedBy('log/sqlite/sqlite-append.js');
    expect(loaded).toContain('@grpc/grpc-js/build/src/constants.js');
    expect(loaded).not.toContain('@grpc/grpc-js/build/src/index.js');
    expect(loadedBy('log/sqlite/sqlite-database.js')).not.toContain('@grpc/grpc-js/build/src/index.js');
  });

  it('a server module graph loads neither yaml nor pino-pretty', () => {
    const loaded = loadedBy('main.js');
    expect(loaded).toContain('@grpc/grpc-js/build/src/index.js');
    expect(loaded.filter((f) => f.startsWith('yaml/') || f.startsWith('pino-pretty/'))).toEqual([]);
  });
});
