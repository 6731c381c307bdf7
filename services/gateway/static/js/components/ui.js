// Small shared pieces of UI: states (loading, empty, error), status pills, images.

import { h, replace } from '../core/dom.js';
import { ApiError } from '../core/api.js';
import * as fmt from '../core/format.js';

export function loading(message = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, message);
}

export function empty(message, action) {
  return h('div', { class: 'empty' }, h('p', {}, message), action || null);
}

/** An inline error with an optional retry. */
export function errorBox(error, retry) {
  // Only an ApiError's words are for people; anything else is a fault of the page itself.
  if (!(error instanceof ApiError)) console.error(error);
  const title = error instanceof ApiError ? error.title : 'Something went wrong on this page. Please try again.';
  const detail = error instanceof ApiError ? error.detail : '';
  return h('div', { class: 'error-box', role: 'alert', dataset: { code: error?.code || '' } },
    h('p', { class: 'error-box__title' }, title),
    detail ? h('p', {}, detail) : null,
    error instanceof ApiError && error.errors.length
      ? h('ul', {}, error.errors.map((entry) => h('li', { dataset: { code: entry.code || '' } }, entry.msg)))
      : null,
    retry ? h('button', { type: 'button', class: 'button button--small', onclick: retry }, 'Try again') : null);
}

/** Fill `container` with what `load()` produces, showing loading and error states meanwhile. */
export async function section(container, load, message) {
  replace(container, loading(message));
  container.setAttribute('aria-busy', 'true');
  try {
    replace(container, await load());
  } catch (error) {
    if (error?.name === 'AbortError') return;
    replace(container, errorBox(error, () => section(container, load, message)));
  } finally {
    container.removeAttribute('aria-busy');
  }
}

const TONES = {
  published: 'good', approved: 'good', confirmed: 'good', completed: 'good', delivered: 'good',
  in_stock: 'good', quality_checked: 'good', dispatched: 'good', accepted: 'good', met: 'good',
  evidenced: 'good',
  pending: 'wait', submitted: 'wait', draft: 'wait', awaiting_acceptance: 'wait', requested: 'wait',
  quoted: 'wait', in_production: 'wait', paused: 'wait', made_to_order: 'wait',
  changes_requested: 'warn', sold_out: 'warn', self_declared: 'warn', unmet: 'bad',
  cancelled: 'bad', rejected: 'bad', declined: 'bad', suspended: 'bad', archived: 'muted',
  withdrawn: 'muted', not_applicable: 'muted',
};

export function pill(code, label) {
  return h('span', { class: `pill pill--${TONES[code] || 'muted'}`, dataset: { status: code } }, label ?? fmt.humanise(code));
}

/** A listing image, replaced by a drawn placeholder when it is missing or fails to load. */
export function pieceImage(url, alt, className = 'piece-image') {
  const placeholder = () => h('div', { class: `${className} piece-image--placeholder`, role: 'img', 'aria-label': alt || 'No photograph' },
    h('span', { 'aria-hidden': 'true' }, '◇'));
  if (!url) return placeholder();
  const img = h('img', { class: className, src: url, alt: alt || '', loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' });
  img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
  return img;
}

/**
 * A table in a box that scrolls sideways when the table is wider than the screen. The box takes
 * keyboard focus, so the arrow keys scroll it, and is a region named after the table's caption.
 */
export function scrollingTable(table) {
  if (!table) return null;
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': table.caption?.textContent || null, tabindex: '0' }, table);
}

/** A row of tabs as links (deep-linkable through the query string). */
export function tabs(label, items, currentKey) {
  return h('nav', { class: 'tabs', 'aria-label': label },
    h('ul', {}, items.map(({ key, href, text }) => h('li', {},
      h('a', { href, 'aria-current': key === currentKey ? 'page' : null }, text)))));
}
