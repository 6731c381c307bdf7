// Shipping and delivery dates as a customer reads them: each maker's parcel priced by
// POST /orders/quote for the basket and checkout, and carried by each parcel of a placed order.

import * as api from '../core/api.js';
import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';

const weekdayDate = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });

/** "2026-12-15" -> "Tue 15 Dec". */
export function deliveryDay(iso) {
  const date = new Date(`${iso}T00:00:00`);
  return Number.isNaN(date.getTime()) ? iso : weekdayDate.format(date).replace(',', '');
}

/** "Arrives between Tue 15 Dec and Fri 18 Dec" (or on one day). */
export function arrives(estimated) {
  if (!estimated) return null;
  const { earliest, latest } = estimated;
  return earliest === latest ? `Arrives ${deliveryDay(earliest)}`
    : `Arrives between ${deliveryDay(earliest)} and ${deliveryDay(latest)}`;
}

export function shippingText(shipping) {
  return shipping.amount.amount === 0 ? 'Free delivery' : `Delivery ${fmt.money(shipping.amount)}`;
}

/** The makers' names by id; a maker who cannot be read stays unnamed. */
export async function makerNames(ids, signal) {
  const unique = [...new Set(ids.filter(Boolean))];
  const found = await Promise.allSettled(unique.map((id) => api.get(`/makers/${id}`, { signal })));
  return new Map(found.flatMap((result, i) => (result.status === 'fulfilled' && result.value?.display_name
    ? [[unique[i], result.value.display_name]] : [])));
}

/** What these basket lines would cost delivered to `address` (or a saved address's id), with
 * the makers' names; an ApiError (e.g. destination_not_shipped) is thrown as it came. */
export async function quoteFor(lines, address, signal) {
  const where = typeof address === 'string' ? { shipping_address_id: address } : { shipping_address: address };
  const quote = await api.post('/orders/quote', { lines, ...where }, { signal });
  const names = await makerNames(quote.maker_orders.map((parcel) => parcel.maker_id), signal);
  return { quote, names };
}

function parcelItem(parcel, names) {
  const name = names.get(parcel.maker_id);
  return h('li', { class: 'delivery-parcel', dataset: { makerId: parcel.maker_id } },
    h('span', { class: 'delivery-parcel__maker' }, name ? `From ${name}` : 'From one maker'),
    h('span', { class: 'delivery-parcel__price' }, shippingText(parcel.shipping)),
    h('span', { class: 'delivery-parcel__dates' }, arrives(parcel.estimated_delivery)));
}

/** The quote as the summary shows it: each maker's parcel, then the items, delivery and total. */
export function quoteSummary({ quote, names }, { destination } = {}) {
  return h('div', { class: 'delivery-quote', dataset: { total: String(quote.total.amount) } },
    destination ? h('p', { class: 'muted' }, destination) : null,
    h('ul', { class: 'delivery-parcels plain', 'aria-label': 'Delivery by maker' },
      quote.maker_orders.map((parcel) => parcelItem(parcel, names))),
    h('dl', { class: 'facts delivery-totals' },
      h('dt', {}, 'Items'), h('dd', {}, fmt.money(quote.subtotal)),
      h('dt', {}, 'Delivery'), h('dd', { class: 'delivery-totals__shipping' }, fmt.money(quote.shipping_total)),
      h('dt', {}, 'Total'), h('dd', {}, h('strong', { class: 'delivery-totals__total' }, fmt.money(quote.total)))));
}

/** Why no quote could be given, in words (a maker who does not deliver there is named). */
export function quoteProblem(error) {
  const messages = (error.errors || []).map((e) => e.msg).filter(Boolean);
  return h('div', { class: 'warning delivery-problem', role: 'alert', dataset: { code: error.code || '' } },
    messages.length ? messages.map((text) => h('p', {}, `${text.replace(/\.$/, '')}.`))
      : h('p', {}, error.message || 'Delivery could not be priced just now.'));
}

/** A parcel of a placed order: what its delivery cost and when it should arrive. */
export function parcelDelivery(mo) {
  if (!mo.shipping && !mo.estimated_delivery) return null;
  return h('p', { class: 'parcel-delivery', dataset: { shipping: String(mo.shipping?.amount?.amount ?? '') } },
    mo.shipping ? shippingText(mo.shipping) : null,
    mo.shipping && mo.estimated_delivery ? ' · ' : null,
    mo.estimated_delivery && !['delivered', 'declined', 'cancelled'].includes(mo.status)
      ? arrives(mo.estimated_delivery) : null);
}
