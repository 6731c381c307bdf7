// The heart that keeps a piece as a favourite (customers; PUT/DELETE /me/favourites/{id}).
// A toggle button: its name says what it does ("Save … to favourites") and `aria-pressed` says
// whether the piece is kept. Someone signed out is sent to sign in first and brought back;
// makers and operators keep no favourites, so they see no heart.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { h } from '../core/dom.js';
import { announce, toast } from '../core/live.js';
import { navigate } from '../core/router.js';

/** Whether the person looking may keep favourites (or could, once signed in). */
export function keepsFavourites() {
  const user = session.user();
  return !user || user.role === 'customer';
}

/**
 * favouriteButton(listing, {className, withText, onChange})
 * `withText` shows "Save to favourites" beside the heart and names the button by it (the product
 * page); a card shows the heart alone, named by the piece's title. The name never changes: the
 * pressed state (and the filled heart) says whether it is kept.
 */
export function favouriteButton(listing, { className = 'favourite', withText = false, onChange } = {}) {
  if (!keepsFavourites()) return null;
  const title = listing.title || 'this piece';
  let kept = listing.favourited === true;
  let busy = false;
  const heart = h('span', { class: 'favourite__heart', 'aria-hidden': 'true' });
  const button = h('button', {
    type: 'button',
    class: className,
    'aria-label': withText ? null : `Save ${title} to favourites`,
    dataset: { favourite: listing.id },
  }, heart, withText ? h('span', { class: 'favourite__text' }, 'Save to favourites') : null);

  const show = () => {
    button.setAttribute('aria-pressed', String(kept));
    heart.textContent = kept ? '♥' : '♡';
  };
  show();

  button.addEventListener('click', async () => {
    if (busy) return;
    if (!session.user()) {
      const next = window.location.pathname + window.location.search;
      navigate(`/login?next=${encodeURIComponent(next)}`);
      return;
    }
    busy = true;
    button.setAttribute('aria-busy', 'true');
    const keep = !kept;
    kept = keep;
    show();
    try {
      const path = `/me/favourites/${encodeURIComponent(listing.id)}`;
      if (keep) await api.put(path);
      else await api.request(path, { method: 'DELETE' });
      announce(keep ? `${title} is saved to your favourites.` : `${title} is no longer in your favourites.`);
      onChange?.(keep);
    } catch (error) {
      kept = !keep;
      show();
      toast(error?.title || 'Your favourites could not be changed. Please try again.', { kind: 'warning' });
    } finally {
      busy = false;
      button.removeAttribute('aria-busy');
    }
  });
  return button;
}

function savedBy(count) {
  if (!count) return '';
  return count === 1 ? 'Saved by 1 person' : `Saved by ${count} people`;
}

/** The product page's heart with how many people keep the piece, kept up to date as it is
 * pressed; for makers and operators the count alone. */
export function favouriteControl(listing) {
  let count = listing.favourite_count || 0;
  const counted = h('span', { class: 'favourite-count', dataset: { favouriteCount: String(count) } }, savedBy(count));
  const button = favouriteButton(listing, {
    withText: true,
    onChange: (kept) => {
      count = Math.max(0, count + (kept ? 1 : -1));
      counted.dataset.favouriteCount = String(count);
      counted.textContent = savedBy(count);
    },
  });
  return h('div', { class: 'product__favourite' }, button, counted);
}
