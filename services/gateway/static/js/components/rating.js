// A piece's or a maker's rating as stars and figures: `rating {average, count}` from the
// catalogue (visible reviews only). The stars are drawn for the eye; what a screen reader hears
// is the sentence beside them.

import { h } from '../core/dom.js';

/** "Rated 4.5 out of 5 from 2 reviews" (or "No reviews yet"). */
export function ratingWords(rating) {
  const count = rating?.count || 0;
  if (!count || rating.average === null || rating.average === undefined) return 'No reviews yet';
  return `Rated ${formatAverage(rating.average)} out of 5 from ${count} review${count === 1 ? '' : 's'}`;
}

function formatAverage(average) {
  return Number(average).toFixed(1).replace(/\.0$/, '');
}

/** Five stars, filled to the nearest whole one. */
function starsText(average) {
  const full = Math.max(0, Math.min(5, Math.round(Number(average))));
  return '★'.repeat(full) + '☆'.repeat(5 - full);
}

/**
 * The stars, the average and the count on one line. `quiet`: nothing at all while unrated (a
 * card), else "No reviews yet" (a product page).
 */
export function ratingLine(rating, { quiet = false, className = 'rating' } = {}) {
  const count = rating?.count || 0;
  const rated = count > 0 && rating.average !== null && rating.average !== undefined;
  if (!rated && quiet) return null;
  const dataset = { ratingCount: String(count), ratingAverage: rated ? String(rating.average) : '' };
  if (!rated) return h('span', { class: `${className} ${className}--none`, dataset }, 'No reviews yet');
  return h('span', { class: className, dataset },
    h('span', { class: 'rating__stars', 'aria-hidden': 'true' }, starsText(rating.average)),
    h('span', { class: 'rating__figures', 'aria-hidden': 'true' }, ` ${formatAverage(rating.average)} (${count})`),
    h('span', { class: 'visually-hidden' }, ratingWords(rating)));
}
