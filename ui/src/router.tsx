import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A small history router that knows the admin base path. The server writes
 * `<base href="{AdminBasePath}/">` into index.html, so the base is read from the document; app
 * paths ('/', '/admin/...') are relative to it. Query strings hold page state (filters).
 */

export interface Location {
  /** path below the base, always starting with '/' */
  readonly path: string;
  readonly params: URLSearchParams;
}

const NAVIGATE = 'dtx:navigate';

/** The base path without a trailing slash ('' at the root). */
export function basePath(): string {
  return new URL(document.baseURI).pathname.replace(/\/+$/, '');
}

/** The browser URL path for an app path. */
export function hrefOf(appPath: string): string {
  return `${basePath()}${appPath.startsWith('/') ? appPath : `/${appPath}`}`;
}

function readLocation(): Location {
  const base = basePath();
  const full = window.location.pathname;
  const path = full.startsWith(base) ? full.slice(base.length) || '/' : full;
  return { path, params: new URLSearchParams(window.location.search) };
}

export function navigate(appPath: string, opts: { replace?: boolean } = {}): void {
  const url = hrefOf(appPath);
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(readLocation);
  useEffect(() => {
    const update = () => setLoc(readLocation());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return loc;
}

interface LinkProps {
  readonly to: string;
  readonly children?: ComponentChildren;
  readonly class?: string;
  readonly 'aria-current'?: 'page' | undefined;
}

/** An anchor that navigates in-app on a plain click and stays a real link otherwise (new tab, copy). */
export function Link({ to, children, ...rest }: LinkProps): JSX.Element {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={hrefOf(to)} onClick={onClick}>
      {children}
    </a>
  );
}
