/**
 * Hash routes: `#/<view>` selects a view; `#/<view>?s=v1.<data>` also carries a share payload.
 * The payload sits in a query part of the fragment so the view switcher can rewrite the route
 * without touching it, and so a plain `#/kinship` bookmark still works.
 */
import { VIEWS, type ViewId } from './schema.ts';

export interface Route { view: ViewId; share: string | null; unknown?: string }

export function parseHash(hash: string): Route {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = h.indexOf('?');
  const path = (q < 0 ? h : h.slice(0, q)).replace(/^\/+/, '').replace(/\/+$/, '');
  const query = q < 0 ? '' : h.slice(q + 1);
  let share: string | null = null;
  for (const part of query.split('&')) {
    if (part.startsWith('s=')) share = part.slice(2);
  }
  if (path === '') return { view: 'library', share };
  if ((VIEWS as readonly string[]).includes(path)) return { view: path as ViewId, share };
  return { view: 'library', share, unknown: path };
}

export function formatHash(route: { view: ViewId; share?: string | null }): string {
  return `#/${route.view}${route.share ? `?s=${route.share}` : ''}`;
}
