// A tiny router over the History API. Routes are path patterns ("/listings/:id") with a lazy
// page module; a page module exports `render(ctx)` which fills ctx.main and may return a
// cleanup function (stop polling, and so on) called when the user navigates away.

import { h, replace } from './dom.js';
import { ApiError } from './api.js';
import { announce } from './live.js';

const routes = [];
let active = null; // {cleanup, controller}
let renderCount = 0;
let renderedUrl = null;

/** route('/listings/:id', () => import('./pages/listing.js')) */
export function route(pattern, load) {
  const names = [];
  const source = pattern.replace(/:([a-z_]+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, load });
}

function match(pathname) {
  for (const candidate of routes) {
    const found = candidate.regex.exec(pathname);
    if (found) {
      const params = {};
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1]);
      });
      return { route: candidate, params };
    }
  }
  return null;
}

/** Go to a path inside the app (adds a history entry unless replace is set). */
export function navigate(url, { replace: replaceEntry = false, scroll = true } = {}) {
  const target = new URL(url, window.location.origin);
  if (target.origin !== window.location.origin) {
    window.location.assign(target.href);
    return;
  }
  const path = target.pathname + target.search + target.hash;
  if (replaceEntry) window.history.replaceState({}, '', path);
  else window.history.pushState({}, '', path);
  render({ scroll });
}

/** Re-render the current page (after a change that affects it). */
export function refresh() {
  render({ scroll: false, focus: false });
}

function isAppLink(anchor, event) {
  if (!anchor || event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (anchor.target && anchor.target !== '_self') return false;
  if (anchor.hasAttribute('download') || anchor.dataset.external !== undefined) return false;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return false;
  if (url.pathname.startsWith('/api/')) return false;
  // A link to a fragment of the current page scrolls as usual.
  if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return false;
  return true;
}

export function start() {
  document.addEventListener('click', (event) => {
    const anchor = event.target.closest?.('a[href]');
    if (!isAppLink(anchor, event)) return;
    event.preventDefault();
    navigate(anchor.href);
  });
  // A fragment link (the skip link, "#commissions") also fires popstate: only a change of
  // path or query is a new page.
  window.addEventListener('popstate', () => {
    if (window.location.pathname + window.location.search !== renderedUrl) render({ scroll: false });
  });
  render({ scroll: false, focus: false });
}

async function render({ scroll = true, focus = true } = {}) {
  renderCount += 1;
  const thisRender = renderCount;
  if (active) {
    active.controller.abort();
    if (typeof active.cleanup === 'function') active.cleanup();
  }
  const controller = new AbortController();
  active = { controller, cleanup: null };

  const main = document.getElementById('main');
  const { pathname, search } = window.location;
  renderedUrl = pathname + search;
  const found = match(pathname);
  main.setAttribute('aria-busy', 'true');
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  if (scroll) window.scrollTo(0, 0);
  document.dispatchEvent(new CustomEvent('route-change', { detail: { pathname } }));

  const ctx = {
    params: found?.params || {},
    query: new URLSearchParams(search),
    main,
    signal: controller.signal,
    navigate,
    refresh,
    isCurrent: () => thisRender === renderCount,
  };
  try {
    const page = found ? await found.route.load() : await import('../pages/not-found.js');
    if (thisRender !== renderCount) return;
    active.cleanup = await page.render(ctx);
  } catch (error) {
    if (thisRender !== renderCount || error?.name === 'AbortError') return;
    showFailure(main, error);
  } finally {
    if (thisRender === renderCount) {
      main.removeAttribute('aria-busy');
      if (focus) focusHeading(main);
    }
  }
}

function focusHeading(main) {
  const heading = main.querySelector('h1');
  const target = heading || main;
  if (heading) heading.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
  announce(document.title);
}

/** The page could not be shown: not found, needs sign-in, or failed. */
export function showFailure(main, error) {
  const status = error instanceof ApiError ? error.status : -1;
  if (status === 401) {
    const next = window.location.pathname + window.location.search;
    navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    return;
  }
  if (status === 404) {
    setTitle('Not found');
    replace(main, h('section', { class: 'page page--narrow state' },
      h('h1', {}, 'Not found'),
      h('p', {}, 'There is nothing here — it may have been removed, or the link is wrong.'),
      h('p', {}, h('a', { href: '/search', class: 'button' }, 'Browse pieces'))));
    return;
  }
  setTitle('Something went wrong');
  replace(main, h('section', { class: 'page page--narrow state' },
    h('h1', {}, status === 403 ? 'Not available to you' : 'Something went wrong'),
    h('p', { role: 'alert', dataset: { code: error?.code || '' } }, error instanceof ApiError ? [error.title, error.detail].filter(Boolean).join(' ') : 'The page could not be shown.'),
    h('p', {}, h('button', { type: 'button', class: 'button', onclick: () => refresh() }, 'Try again'))));
  if (!(error instanceof ApiError)) console.error(error);
}

export function setTitle(title) {
  document.title = title ? `${title} · Forge & Facet` : 'Forge & Facet — handcrafted jewellery';
}
