// The customer's favourites: the pieces they keep with the heart, the newest first, a page at a
// time. A piece let go of here stays on the page (pressed again, it is kept again) until the
// page is next opened; a piece paused or hidden since is left out by the catalogue.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import { setTitle } from '../core/router.js';
import { listingCard } from '../components/listing-card.js';
import { empty, errorBox } from '../components/ui.js';

const PAGE = 24;

export async function render(ctx) {
  setTitle('Your favourites');
  if (!requireRole(ctx, ['customer'], 'Your favourites')) return;
  const { main, signal } = ctx;
  const grid = h('ul', { class: 'card-grid', 'aria-label': 'Your favourite pieces' });
  const more = h('div', { class: 'favourites__more' });
  const body = h('div', {}, grid, more);
  replace(main, h('section', { class: 'page favourites' },
    h('h1', {}, 'Your favourites'),
    h('p', {}, 'Pieces you saved with the heart, the latest first.'),
    body));

  const load = async (cursor) => {
    const page = await api.get('/me/favourites', { query: { cursor, limit: PAGE }, signal });
    grid.append(...(page?.items || []).map(listingCard));
    if (!grid.children.length) {
      replace(body, empty('You have not saved any pieces yet. Press the heart on a piece you like to find it here again.',
        h('a', { href: '/search', class: 'button' }, 'Browse pieces')));
      return;
    }
    replace(more, page?.next_cursor ? moreButton(page.next_cursor) : null);
  };
  const moreButton = (cursor) => h('button', {
    type: 'button',
    class: 'button button--secondary',
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await load(cursor);
      } catch (error) {
        if (error?.name === 'AbortError') return;
        replace(more, errorBox(error, () => replace(more, moreButton(cursor))));
      }
    },
  }, 'Show more');
  await load(null);
}
