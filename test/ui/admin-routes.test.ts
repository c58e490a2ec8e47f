import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { adminRoutes, normalizeBasePath } from '../../src/admin/admin-routes.js';
import { tempDir } from '../support/dtx-process.js';

/**
 * The admin routes on a real express server on loopback, over a stand-in build (or none): base
 * path, `<base href>` injection, caching, fall-through to the API's 404, and a missing build.
 */
const INDEX = '<!doctype html><html><head><base href="/" /><script type="module" src="./assets/app-1a2b3c.js"></script></head><body></body></html>';

async function serve(basePath: string, uiDir: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(adminRoutes({ basePath, uiDir }));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found');
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('normalizeBasePath', () => {
  it('keeps one leading slash and no trailing one', () => {
    expect(['', '/', '//', 'ops', '/ops', '/ops/', 'a/b//'].map(normalizeBasePath)).toEqual(['', '', '', '/ops', '/ops', '/ops', '/a/b']);
  });
});

describe('admin routes over a build', () => {
  let url: string;
  beforeAll(async () => {
    const dir = tempDir('dtx-ui-');
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets', 'app-1a2b3c.js'), 'export {};\n');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const s = await serve('ops/', dir);
    servers.push(s.server);
    url = s.url;
  });

  it('answers index.html with the base href for / and /admin/* below the base path', async () => {
    for (const p of ['/ops/', '/ops/admin', '/ops/admin/transactions/g%2F1?x=1']) {
      const res = await fetch(url + p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await res.text()).toBe(INDEX.replace('<base href="/" />', '<base href="/ops/" />'));
    }
  });

  it('redirects the bare base path and serves hashed assets as immutable, all files nosniff', async () => {
    const bare = await fetch(`${url}/ops?status=failed`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/ops/?status=failed');
    const asset = await fetch(`${url}/ops/assets/app-1a2b3c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const favicon = await fetch(`${url}/ops/favicon.svg`);
    expect(favicon.status).toBe(200);
    // a file is only ever what its extension says
    expect([asset.headers.get('x-content-type-options'), favicon.headers.get('x-content-type-options')]).toEqual(['nosniff', 'nosniff']);
  });

  it('lets everything else fall through to the 404 after it', async () => {
    for (const p of ['/', '/admin/x', '/api/dtmsvr/nope', '/ops/assets/missing.js', '/ops/assets/%2e%2e/index.html', '/ops/other', '/opsx/']) {
      const res = await fetch(url + p);
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).toBe('404 page not found');
    }
    const post = await fetch(`${url}/ops/`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('writes a base path with special characters literally', async () => {
    const dir = tempDir('dtx-ui-');
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    const s = await serve('/a$&"b', dir);
    servers.push(s.server);
    const html = await (await fetch(`${s.url}/a$&%22b/`)).text();
    expect(html).toContain('<base href="/a$&amp;&quot;b/" />');
  });
});

describe('admin routes without a build', () => {
  it('answers / and /admin/* with how to build the UI, and leaves the API alone', async () => {
    const s = await serve('', tempDir('dtx-ui-empty-'));
    servers.push(s.server);
    for (const p of ['/', '/admin/transactions']) {
      const res = await fetch(s.url + p);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toContain('The dtx admin UI is not built');
    }
    expect(await (await fetch(`${s.url}/`)).text()).toContain('npm run build');
    expect((await fetch(`${s.url}/api/dtmsvr/version`)).status).toBe(404);
  });
});
