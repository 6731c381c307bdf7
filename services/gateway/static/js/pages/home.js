// Home: newest pieces, the categories and a few makers.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { setTitle } from '../core/router.js';
import { listingGrid } from '../components/listing-card.js';
import { empty, section } from '../components/ui.js';
import { location } from '../components/maker-card.js';

function categories() {
  return h('ul', { class: 'category-list' }, Object.entries(fmt.CATEGORIES).map(([code, label]) => h('li', {},
    h('a', { href: `/search?category=${code}`, class: 'category-list__link' }, label))));
}

async function featured(signal) {
  const page = await api.get('/listings', { query: { sort: 'newest', limit: 8 }, signal });
  const items = page?.items || [];
  if (!items.length) return empty('No pieces are on sale yet. Makers are setting up their workshops — come back soon.');
  return [listingGrid(items, 'Newest pieces'), h('p', {}, h('a', { href: '/search?sort=newest', class: 'button button--secondary' }, 'See every piece'))];
}

async function makers(signal) {
  const page = await api.get('/makers', { query: { limit: 6 }, signal });
  const items = page?.items || [];
  if (!items.length) return empty('Our first makers are being reviewed.');
  return h('ul', { class: 'maker-list' }, items.map((maker) => h('li', {},
    h('a', { href: `/makers/${encodeURIComponent(maker.handle)}` }, maker.display_name),
    h('span', { class: 'maker-list__where' }, location(maker)))));
}

export async function render({ main, signal }) {
  setTitle('');
  const featuredBox = h('div', {});
  const makersBox = h('div', {});
  replace(main, h('div', { class: 'page' },
    h('section', { class: 'hero' },
      h('h1', {}, 'Handcrafted jewellery, honestly described'),
      h('p', { class: 'hero__lead' }, 'Rings, necklaces and earrings from independent makers — with the metal, its fineness and hallmark, every stone and its origin, and the evidence behind each sourcing claim.'),
      h('p', {}, h('a', { href: '/search', class: 'button' }, 'Browse pieces'), ' ', h('a', { href: '/register', class: 'button button--secondary' }, 'Sell your work'))),
    h('section', { 'aria-labelledby': 'home-cats' }, h('h2', { id: 'home-cats' }, 'Shop by category'), categories()),
    h('section', { 'aria-labelledby': 'home-new' }, h('h2', { id: 'home-new' }, 'Featured: newest pieces'), featuredBox),
    h('section', { 'aria-labelledby': 'home-makers' }, h('h2', { id: 'home-makers' }, 'Makers'), makersBox)));
  await Promise.all([
    section(featuredBox, () => featured(signal), 'Loading pieces…'),
    section(makersBox, () => makers(signal), 'Loading makers…'),
  ]);
}
