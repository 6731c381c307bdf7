// The basket: lines from localStorage, refreshed against the catalogue so the customer sees
// today's price and whether each piece is still available.

import * as api from '../core/api.js';
import * as basket from '../core/basket.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as rings from '../core/ringsizes.js';
import { announce } from '../core/live.js';
import { setTitle } from '../core/router.js';
import * as session from '../core/session.js';
import { empty, pieceImage } from '../components/ui.js';
import { quoteFor, quoteProblem, quoteSummary } from '../components/delivery.js';

export function optionText(options = {}) {
  const parts = [];
  if (options.ring_size_mm) parts.push(`Ring size ${rings.describe(options.ring_size_mm)}`);
  if (options.chain_length_cm) parts.push(`Chain ${options.chain_length_cm} cm`);
  if (options.engraving_text) parts.push(`Engraving “${options.engraving_text}”`);
  return parts;
}

export function lineTotal(line) {
  const unit = line.price?.amount || 0;
  const extra = line.engraving_price?.amount || 0;
  return { amount: (unit + extra) * line.quantity, currency: line.price?.currency || 'GBP' };
}

export function basketTotal(lines) {
  return fmt.moneySum(lines.map(lineTotal));
}

/** Re-read each listing: price and availability may have changed since it was added. */
async function refreshLines(signal) {
  const lines = basket.lines();
  const notes = new Map();
  await Promise.all(lines.map(async (line) => {
    try {
      const listing = await api.get(`/listings/${encodeURIComponent(line.listing_id)}`, { signal });
      if (listing.price && listing.price.amount !== line.price?.amount) {
        notes.set(line.key, `The price is now ${fmt.money(listing.price)} (was ${fmt.money(line.price)}).`);
        basket.update(line.key, { price: listing.price, title: listing.title });
      }
      if (listing.availability === 'sold_out') notes.set(line.key, 'Sold out: remove it to check out.');
    } catch (error) {
      if (error?.name === 'AbortError') throw error;
      if (error.status === 404) notes.set(line.key, 'No longer on sale: remove it to check out.');
    }
  }));
  return notes;
}

function quantityControl(line) {
  const id = `qty-${line.key.length}-${Math.abs(hash(line.key))}`;
  const input = h('input', { id, type: 'number', min: 1, max: 99, value: String(line.quantity), inputmode: 'numeric', class: 'qty' });
  input.addEventListener('change', () => {
    const quantity = Number(input.value);
    if (Number.isInteger(quantity) && quantity >= 1 && quantity <= 99) {
      basket.setQuantity(line.key, quantity);
      announce(`Quantity changed to ${quantity}`);
    } else input.value = String(line.quantity);
  });
  return h('span', { class: 'qty-field' }, h('label', { for: id }, 'Quantity'), input);
}

function hash(text) {
  let value = 0;
  for (const ch of text) value = (value * 31 + ch.codePointAt(0)) | 0;
  return value;
}

function lineRow(line, note) {
  return h('li', { class: 'basket-line', dataset: { listingId: line.listing_id } },
    pieceImage(line.image, '', 'basket-line__image'),
    h('div', { class: 'basket-line__body' },
      h('h2', { class: 'basket-line__title' }, h('a', { href: `/listings/${line.listing_id}` }, line.title)),
      h('ul', { class: 'basket-line__options' }, optionText(line.options).map((t) => h('li', {}, t))),
      line.engraving_price ? h('p', { class: 'muted' }, `Engraving ${fmt.money(line.engraving_price)} each`) : null,
      note ? h('p', { class: 'warning', role: 'note' }, note) : null,
      h('div', { class: 'basket-line__controls' },
        quantityControl(line),
        h('button', { type: 'button', class: 'link-button', onclick: () => { basket.remove(line.key); announce(`${line.title} removed from the basket`); } }, 'Remove', h('span', { class: 'visually-hidden' }, ` ${line.title}`)))),
    h('p', { class: 'basket-line__total' }, fmt.money(lineTotal(line))));
}

// The basket knows no address yet: delivery is priced to the UK, and checkout prices it to the
// customer's own address. Only the UK's zone matters to the price; the address is a stand-in.
const UK_STAND_IN = { name: 'Basket estimate', line1: '1 Estimate Street', city: 'London', postcode: 'SW1A 1AA', country: 'GB' };

/** Delivery per maker and dates for the basket as it is, for a signed-in customer. */
async function deliveryBlock(signal) {
  if (session.role() !== 'customer') {
    return h('p', { class: 'muted delivery-sign-in' }, 'Sign in to see delivery costs and dates for each maker.');
  }
  try {
    const priced = await quoteFor(basket.orderLines(), UK_STAND_IN, signal);
    return quoteSummary(priced, { destination: 'Delivery to a UK address (checkout prices it to yours):' });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    return quoteProblem(error);
  }
}

function view(notes, delivery) {
  const lines = basket.lines();
  if (!lines.length) {
    return [h('h1', {}, 'Your basket'), empty('Your basket is empty.', h('a', { href: '/search', class: 'button' }, 'Browse pieces'))];
  }
  const blocked = lines.some((line) => /remove it/.test(notes.get(line.key) || ''));
  return [
    h('h1', {}, 'Your basket'),
    h('ul', { class: 'basket-lines', 'aria-label': 'Pieces in your basket' }, lines.map((line) => lineRow(line, notes.get(line.key)))),
    h('div', { class: 'basket-summary' },
      h('p', { class: 'basket-summary__total' }, 'Items ', h('strong', {}, fmt.money(basketTotal(lines)))),
      blocked ? null : delivery,
      h('p', { class: 'muted' }, 'Prices are confirmed when you place the order.'),
      blocked ? h('p', { class: 'warning' }, 'Remove the pieces that are no longer available to check out.')
        : h('a', { href: '/checkout', class: 'button button--large' }, 'Check out')),
  ];
}

export async function render({ main, signal }) {
  setTitle('Basket');
  let notes = new Map();
  let delivery = null;
  const page = h('div', { class: 'page page--narrow' });
  const draw = () => {
    // Keep keyboard focus where it was (a quantity field), or on the heading if it went away.
    const focusedId = page.contains(document.activeElement) ? document.activeElement.id : null;
    replace(page, view(notes, delivery));
    if (focusedId === null) return;
    const again = focusedId && document.getElementById(focusedId);
    if (again) again.focus();
    else {
      const heading = page.querySelector('h1');
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  };
  replace(main, page);
  draw();
  // A change of quantity or a removal prices delivery again; the newest answer wins.
  let asked = 0;
  const priceDelivery = async () => {
    const mine = ++asked;
    const block = basket.lines().length ? await deliveryBlock(signal) : null;
    if (mine === asked) {
      delivery = block;
      draw();
    }
  };
  const onChange = () => {
    draw();
    priceDelivery().catch(() => {});
  };
  window.addEventListener('basket-change', onChange);
  if (basket.lines().length) {
    notes = await refreshLines(signal).catch((error) => {
      if (error?.name === 'AbortError') throw error;
      return new Map();
    });
    draw();
    await priceDelivery().catch((error) => {
      if (error?.name === 'AbortError') throw error;
    });
  }
  return () => window.removeEventListener('basket-change', onChange);
}
