// A listing as a card in a grid of results.

import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { pieceImage } from './ui.js';

function materialLine(listing) {
  const metals = (listing.metals || []).map((m) => fmt.fineness(m.metal, m.fineness));
  const stones = (listing.stones || []).map((s) => (s.origin === 'natural' ? s.type : `${fmt.origin(s.origin).toLowerCase()} ${s.type}`));
  return [...new Set([...metals, ...stones])].join(' · ');
}

export function listingCard(listing) {
  const href = `/listings/${encodeURIComponent(listing.id)}`;
  const soldOut = listing.availability === 'sold_out';
  return h('li', { class: 'card', dataset: { listingId: listing.id } },
    h('a', { class: 'card__link', href },
      pieceImage(listing.images?.[0], '', 'card__image'),
      h('span', { class: 'card__body' },
        h('span', { class: 'card__title' }, listing.title || 'Untitled piece'),
        h('span', { class: 'card__materials' }, materialLine(listing)),
        h('span', { class: 'card__meta' },
          h('span', { class: 'card__price' }, fmt.money(listing.price)),
          listing.availability ? h('span', { class: `card__availability${soldOut ? ' is-sold-out' : ''}` }, fmt.availability(listing.availability)) : null))));
}

export function listingGrid(listings, label = 'Pieces') {
  return h('ul', { class: 'card-grid', 'aria-label': label }, listings.map(listingCard));
}
