import { useEffect, useState } from 'preact/hooks';

// Client-side routing: the server answers every page's path with the same index.html, and the
// page draws the one its path names. Links stay plain <a href>; a click is turned into a
// history entry instead of a load, so the live status stream is kept across pages.

export type Route =
  | { page: 'services' }
  | { page: 'service'; name: string }
  | { page: 'graph' }
  | { page: 'plan' }
  | { page: 'history' }
  | { page: 'missing'; path: string };

/** The page a path names (`/services/web` → the service page of `web`). */
export function routeOf(path: string): Route {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (clean === '/' || clean === '/services') return { page: 'services' };
  if (clean === '/graph') return { page: 'graph' };
  if (clean === '/plan') return { page: 'plan' };
  if (clean === '/history') return { page: 'history' };
  const service = /^\/services\/([^/]+)$/.exec(clean);
  if (service?.[1]) return { page: 'service', name: decodeURIComponent(service[1]) };
  return { page: 'missing', path };
}

export const servicePath = (name: string): string => `/services/${encodeURIComponent(name)}`;

const CHANGED = 'stack:navigate';

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  dispatchEvent(new Event(CHANGED));
}

/** The current route, redrawn on back/forward and on `navigate`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const update = () => setRoute(routeOf(location.pathname));
    addEventListener('popstate', update);
    addEventListener(CHANGED, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGED, update);
    };
  }, []);
  return route;
}

/** Turns a plain left click on a link of this origin (HTML or SVG) into `navigate`; anything else (new tab, download) is the browser's. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest('a');
    const href = link?.getAttribute('href');
    if (!link || href === null || href === undefined || link.hasAttribute('target') || link.hasAttribute('download')) return;
    const url = new URL(href, location.href);
    if (url.origin !== location.origin) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
