import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the UI (vite, ui/vite.config.ts): dist/ui beside dist/src, which is
 * `../../ui` from the compiled file and `../../dist/ui` from this TypeScript source (vitest).
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/ui' : '../../ui', import.meta.url));

export interface AdminRouteOptions {
  /** dtm's `AdminBasePath`: '' serves the UI at '/', '/ops' at '/ops/'. */
  readonly basePath: string;
  /** The built UI (index.html, assets/); defaults to DEFAULT_UI_DIR. */
  readonly uiDir?: string;
}

/** '' | '/x/y': one leading slash, no trailing one (dtm concatenates `AdminBasePath + "/"`). */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

const NOT_BUILT = (uiDir: string) =>
  `The dtx admin UI is not built: ${path.join(uiDir, 'index.html')} is missing.\n` +
  'Build it in the dtx source tree with `npm run build` (or only the UI: `npm run build:ui`), then reload.\n' +
  'The API under /api is unaffected.\n';

// The page loads only its own script and styles and calls only its own origin; nobody may frame it
// (it carries force-stop buttons).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/**
 * The admin UI at dtm's admin routes: `{base}/` and `{base}/admin/*` answer the single-page app's
 * index.html (with `<base href="{base}/">`, so its relative asset URLs and its router follow the
 * base path), `{base}/assets/*` the hashed build output (cached for a year, immutable), and
 * `{base}/favicon.svg`. Everything else falls through, so `/api/*` keeps dtm's routes and its
 * `404 page not found`. A missing build answers 503 with how to build it.
 */
export function adminRoutes(opts: AdminRouteOptions): RequestHandler {
  const base = normalizeBasePath(opts.basePath);
  const uiDir = opts.uiDir ?? DEFAULT_UI_DIR;
  const baseHref = `${base}/`;
  const urlBase = encodeURI(base);

  // index.html is read per request (it is small and operators are few): a UI rebuilt while dtx
  // runs is served at once, and a missing build never stops dtx from starting.
  const sendIndex = async (_req: Request, res: Response) => {
    let html: string;
    try {
      html = await readFile(path.join(uiDir, 'index.html'), 'utf8');
    } catch {
      res.status(503).type('text/plain').set('Cache-Control', 'no-store').send(NOT_BUILT(uiDir));
      return;
    }
    res
      .status(200)
      .type('html')
      .set({ 'Cache-Control': 'no-cache', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' })
      .send(html.replace(/<base href="[^"]*"\s*\/?>/, () => `<base href="${escapeAttr(baseHref)}" />`));
  };

  // nosniff: a file is only ever what its extension says (index.html sets it too)
  const setHeaders = (res: Response) => res.setHeader('X-Content-Type-Options', 'nosniff');
  const assets = express.static(path.join(uiDir, 'assets'), { index: false, immutable: true, maxAge: '365d', redirect: false, setHeaders });
  const topFiles = express.static(uiDir, { index: false, maxAge: '1d', redirect: false, setHeaders });
  // serves a static file for the path below the base, restoring the URL when it falls through
  const serveStatic = (handler: express.Handler, req: Request, res: Response, next: NextFunction, url: string) => {
    const original = req.url;
    req.url = url;
    void handler(req, res, (err?: unknown) => {
      req.url = original;
      next(err);
    });
  };

  // Plain prefix tests rather than route patterns: an AdminBasePath may hold characters that
  // express would read as pattern syntax.
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const p = req.path; // still percent-encoded: compared with the base as a browser encodes it
    if (base !== '' && p === urlBase) {
      // gin answers `{base}` with a redirect to `{base}/`; so do we
      const q = req.url.indexOf('?');
      return res.redirect(301, `${baseHref}${q >= 0 ? req.url.slice(q) : ''}`);
    }
    if (!p.startsWith(`${urlBase}/`)) return next();
    const sub = p.slice(urlBase.length);
    if (sub === '/' || sub === '/admin' || sub.startsWith('/admin/')) return void sendIndex(req, res).catch(next);
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    if (sub.startsWith('/assets/')) return serveStatic(assets, req, res, next, sub.slice('/assets'.length) + query);
    if (sub === '/favicon.svg') return serveStatic(topFiles, req, res, next, sub + query);
    next();
  };
}

function escapeAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
