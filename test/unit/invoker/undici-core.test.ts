import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as undici from 'undici';
import { Agent, buildConnector } from '../../../src/invoker/undici-core.js';

/**
 * src/invoker/undici-core.ts loads undici's Agent and connector from their own modules. They must
 * be the very exports of the package (an undici upgrade that moves them fails here), and loading
 * them must leave the rest of the package unloaded, which is what they are for.
 */
describe('undici-core', () => {
  it('gives the Agent and buildConnector the undici package exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(buildConnector).toBe(undici.buildConnector);
    const agent = new Agent();
    expect(typeof agent.dispatch).toBe('function');
    expect(typeof agent.compose).toBe('function');
    void agent.close();
  });

  it('loads neither fetch nor WebSocket', () => {
    const script = [
      "import('./dist/src/invoker/undici-core.js').then(() => {",
      '  const loaded = Object.keys(require.cache).filter((f) => f.includes("/undici/"));',
      '  console.log(JSON.stringify(loaded.map((f) => f.slice(f.indexOf("/undici/") + 8))));',
      '});',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: new URL('../../..', import.meta.url).pathname });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(r.stdout) as string[];
    expect(loaded).toContain('lib/dispatcher/agent.js');
    expect(loaded).not.toContain('index.js');
    expect(loaded.filter((f) => f.startsWith('lib/web/'))).toEqual([]);
  });
});
