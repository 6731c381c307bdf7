// A listing as a card in a grid of results.

import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { pieceImage } from './ui.js';
import { photoImage, showablePhotos } from './photo.js';
import { ratingLine } from './rating.js';
import { favouriteButton } from './favourite.js';

// Two cards a row on a phone, three from 700 px, at most about 290 px wide on a wide screen
// (four a row, or three beside the search filters).
const CARD_SIZES = '(min-width: 1100px) 290px, (min-width: 700px) 34vw, 50vw';

function materialLine(listing) {
  const metals = (listing.metals || []).map((m) => fmt.fineness(m.metal, m.fineness));
  const stones = (listing.stones || []).map((s) => (s.origin === 'natural' ? s.type : `${fmt.origin(s.origin).toLowerCase()} ${s.type}`));
  return [...new Set([...metals, ...stones])].join(' · ');
}

/** The main photo (the title beside it names the piece, so the image adds nothing for a screen
 * reader), or the drawn diamond when the listing has no photo ready to show. */
function cardImage(listing) {
  const [main] = showablePhotos(listing);
  return main ? photoImage(main, { sizes: CARD_SIZES, className: 'card__image' }) : pieceImage(null, '', 'card__image');
}

/** A card: the link to the piece (its rating, when it has one, among its words) and, beside
 * the link rather than inside it, the heart that keeps it as a favourite. */
export function listingCard(listing) {
  const href = `/listings/${encodeURIComponent(listing.id)}`;
  const soldOut = listing.availability === 'sold_out';
  return h('li', { class: 'card', dataset: { listingId: listing.id } },
    h('a', { class: 'card__link', href },
      cardImage(listing),
      h('span', { class: 'card__body' },
        h('span', { class: 'card__title' }, listing.title || 'Untitled piece'),
        h('span', { class: 'card__materials' }, materialLine(listing)),
        ratingLine(listing.rating, { quiet: true, className: 'rating card__rating' }),
        h('span', { class: 'card__meta' },
          h('span', { class: 'card__price' }, fmt.money(listing.price)),
          listing.availability ? h('span', { class: `card__availability${soldOut ? ' is-sold-out' : ''}` }, fmt.availability(listing.availability)) : null))),
    favouriteButton(listing, { className: 'favourite card__favourite' }));
}

export function listingGrid(listings, label = 'Pieces') {
  return h('ul', { class: 'card-grid', 'aria-label': label }, listings.map(listingCard));
}
