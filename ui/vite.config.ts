import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin UI: built by `npm run build` into dist/ui/ (served by src/admin/admin-routes.ts).
 * `base: './'` keeps asset URLs relative: the server injects `<base href="{AdminBasePath}/">` into
 * index.html, so one build works under any base path. The dev server (`npm run dev:ui`) proxies
 * `/api` to a running dtx (DTX_DEV_API, default http://127.0.0.1:36789).
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // one entry, no inline polyfill script: the page runs under a strict Content-Security-Policy
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': process.env.DTX_DEV_API ?? 'http://127.0.0.1:36789' },
  },
});
