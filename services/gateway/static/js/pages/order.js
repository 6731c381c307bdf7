// One order: its status, lines with their cancellation right, the legal statements the invoice
// carries, and each maker's part with a live progress timeline (polled every few seconds while
// the order is not settled). The customer can cancel while no parcel has gone, and return pieces
// of a delivered parcel (order-returns.js).

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import * as basket from '../core/basket.js';
import { h, replace, dl } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { announce, toast } from '../core/live.js';
import { navigate, setTitle } from '../core/router.js';
import { errorBox, pill, scrollingTable } from '../components/ui.js';
import { progress, entries, MAKER_ORDER_TERMINAL } from '../components/timeline.js';
import { optionText } from './basket.js';
import { parcelReturns } from './order-returns.js';
import { parcelDelivery } from '../components/delivery.js';
import { messageMakerLink } from '../components/message-maker.js';
import { writeReviews } from '../components/reviews.js';

const POLL_MS = 3000;
const WAIT_S = 10;
const TERMINAL = new Set(['completed', 'cancelled']);
const SHIPPED = new Set(['dispatched', 'delivered']);

function isSettled(order) {
  return TERMINAL.has(order.status)
    && (order.maker_orders || []).every((mo) => MAKER_ORDER_TERMINAL.has(mo.status));
}

function canCancel(order) {
  return ['pending', 'confirmed'].includes(order.status)
    && !(order.maker_orders || []).some((mo) => SHIPPED.has(mo.status));
}

function linesTable(order) {
  return scrollingTable(h('table', { class: 'data-table' },
    h('caption', {}, 'Pieces'),
    h('thead', {}, h('tr', {}, ['Piece', 'Options', 'Qty', 'Price', 'Cancellation'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, (order.lines || []).map((line) => h('tr', { dataset: { lineId: line.id || '' } },
      h('th', { scope: 'row' }, line.listing_id ? h('a', { href: `/listings/${line.listing_id}` }, line.title) : line.title),
      h('td', {}, optionText(line.options).join('; ') || '—'),
      h('td', {}, String(line.quantity)),
      h('td', {}, fmt.money(line.line_total || line.unit_price)),
      h('td', { dataset: { cancellationRight: line.cancellation_right } }, fmt.cancellationRight(line.cancellation_right)))))));
}

function deliverButton(mo, onChanged) {
  const holder = h('div', {});
  const button = h('button', { type: 'button', class: 'button button--small' }, 'Confirm delivery');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.post(`/maker-orders/${mo.id}/deliver`, {});
      toast('Delivery recorded.');
      onChanged();
    } catch (error) {
      button.disabled = false;
      replace(holder, button, errorBox(error));
    }
  });
  holder.append(button);
  return holder;
}

/** "Parcel from Ada Metalworks", or by its reference while the maker's name is unknown. */
function parcelName(mo, makers) {
  const name = makers.get(mo.maker_id);
  return name ? `Parcel from ${name}` : `Parcel ${mo.reference}`;
}

/** The makers' names by id, for naming their parcels; a maker who cannot be read stays unnamed. */
async function makerNames(order, signal) {
  const ids = [...new Set((order.maker_orders || []).map((mo) => mo.maker_id).filter(Boolean))];
  const found = await Promise.allSettled(ids.map((id) => api.get(`/makers/${id}`, { signal })));
  return new Map(found.flatMap((result, i) => (result.status === 'fulfilled' && result.value?.display_name ? [[ids[i], result.value.display_name]] : [])));
}

function makerOrderCard(mo, index, { order, operator, onChanged, makers }) {
  return h('section', { class: 'panel maker-order', dataset: { makerOrderId: mo.id, status: mo.status, makerId: mo.maker_id }, 'aria-labelledby': `mo-${index}` },
    h('h3', { id: `mo-${index}` }, `${parcelName(mo, makers)}: `, pill(mo.status, fmt.makerOrderStatus(mo.status))),
    makers.has(mo.maker_id) ? h('p', { class: 'muted parcel-reference' }, `Parcel reference ${mo.reference}`) : null,
    progress(mo.status),
    h('ul', { class: 'plain' }, (mo.lines || []).map((line) => h('li', {}, `${line.quantity} × ${line.title}`))),
    parcelDelivery(mo),
    dl([
      ['Made in', mo.lead_time_days ? fmt.leadTime(mo.lead_time_days) : null],
      ['Carrier', mo.tracking?.carrier],
      ['Tracking number', mo.tracking?.tracking_number],
      ['Declined because', mo.decline_reason],
    ]),
    mo.timeline?.length ? h('details', { class: 'timeline-details' }, h('summary', {}, 'History'), entries(mo.timeline)) : null,
    invoiceLink(mo),
    operator ? null : messageMakerLink({ order_id: order.id, maker_id: mo.maker_id }, makers.get(mo.maker_id), { small: true }),
    operator && mo.status === 'dispatched' ? deliverButton(mo, onChanged) : null,
    !operator && mo.status === 'delivered' ? parcelReturns(order, mo) : null,
    !operator && mo.status === 'delivered' ? writeReviews(mo, reviewTitles(order)) : null);
}

/** The title of each piece of the order, by listing, for "Review this piece". */
function reviewTitles(order) {
  return Object.fromEntries((order.lines || []).filter((line) => line.listing_id).map((line) => [line.listing_id, line.title]));
}

// A parcel that was sold has an invoice (pages/invoice.js); a declined or cancelled one has none.
const NOT_INVOICED = new Set(['declined', 'cancelled']);

function invoiceLink(mo) {
  if (NOT_INVOICED.has(mo.status)) return null;
  return h('p', { class: 'invoice-link' }, h('a', { href: `/invoices/${mo.id}` }, `Invoice ${mo.reference}`));
}

function cancelButton(order, onCancelled) {
  const holder = h('div', { class: 'cancel-order' });
  const button = h('button', { type: 'button', class: 'button button--danger' }, 'Cancel order');
  button.addEventListener('click', async () => {
    if (!window.confirm('Cancel this order? You will be refunded in full.')) return;
    button.disabled = true;
    try {
      const updated = await api.post(`/orders/${order.id}/cancel`, {});
      toast('Your order is cancelled and a refund is on its way.');
      onCancelled(updated);
    } catch (error) {
      button.disabled = false;
      replace(holder, button, errorBox(error));
    }
  });
  holder.append(button);
  return holder;
}

const RETRYABLE = new Set(['payment_declined', 'expired', 'price_changed']);

/** After a declined card (or an expired or repriced order), put its pieces back in the basket. */
function retryButton(order) {
  const lines = (order.lines || []).filter((line) => line.listing_id);
  if (!lines.length) return null;
  return h('button', {
    type: 'button', class: 'button',
    onclick: () => {
      for (const line of lines) {
        const options = {};
        for (const [name, value] of Object.entries(line.options || {})) if (value !== null) options[name] = value;
        basket.add({
          listing_id: line.listing_id, maker_id: line.maker_id, title: line.title, quantity: line.quantity,
          price: line.unit_price, engraving_price: options.engraving_text ? line.engraving_price : null, image: null, options,
        });
      }
      navigate('/checkout');
    },
  }, 'Put the pieces back in your basket');
}

/** After checkout, a thank-you whatever the order's status by then (a fast order is confirmed at once). */
function placedNotice(order) {
  if (order.status === 'cancelled') return null;
  return h('p', { class: 'notice placed-notice', role: 'status' }, `Thank you — your order ${order.reference} is placed.`,
    order.status === 'pending' ? ' We are reserving your pieces and taking the payment.' : null);
}

function view(order, { placed, onCancelled, operator, onChanged, makers }) {
  const makerOrders = order.maker_orders || [];
  return h('div', { class: 'page page--narrow order-page', dataset: { orderId: order.id, status: order.status } },
    h('p', { class: 'eyebrow' }, h('a', { href: operator ? '/ops?tab=orders' : '/orders' }, operator ? 'All orders' : 'Your orders')),
    h('h1', {}, `Order ${order.reference}`),
    placed ? placedNotice(order) : null,
    h('p', { class: 'order-status', dataset: { orderStatus: order.status } }, 'Status: ', pill(order.status, fmt.orderStatus(order.status)),
      order.status === 'pending' ? h('span', { class: 'muted' }, ' — updating automatically') : null),
    order.cancellation_reason ? h('p', { class: 'warning', dataset: { cancellationReason: order.cancellation_reason } },
      `Cancelled: ${fmt.cancellationReason(order.cancellation_reason)}.`) : null,
    !operator && order.status === 'cancelled' && RETRYABLE.has(order.cancellation_reason) ? retryButton(order) : null,
    dl([
      ['Placed', fmt.when(order.created_at)],
      ['Items', order.subtotal ? fmt.money(order.subtotal) : null],
      ['Delivery', order.shipping_total ? fmt.money(order.shipping_total) : null],
      ['Total', fmt.money(order.total)],
      ['Deliver to', order.shipping_address ? [order.shipping_address.name, order.shipping_address.line1, order.shipping_address.line2, order.shipping_address.city, order.shipping_address.postcode, fmt.country(order.shipping_address.country)].filter(Boolean).join(', ') : null],
      ['Gift message', order.gift_message],
    ]),
    linesTable(order),
    order.statements?.length ? h('section', { class: 'statements', 'aria-labelledby': 'statements-title' },
      h('h2', { id: 'statements-title' }, 'Statements'),
      order.statements.map((s) => h('p', { class: 'statement' }, typeof s === 'string' ? s : s.text))) : null,
    makerOrders.length ? h('section', { 'aria-labelledby': 'parcels-title' },
      h('h2', { id: 'parcels-title' }, 'Progress by maker'),
      makerOrders.map((mo, i) => makerOrderCard(mo, i, { order, operator, onChanged, makers }))) : null,
    order.timeline?.length ? h('section', {}, h('h2', {}, 'Order history'), entries(order.timeline)) : null,
    !operator && canCancel(order) ? cancelButton(order, onCancelled) : null);
}

export async function render({ main, params, query, signal }) {
  const operator = session.role() === 'operator';
  const path = `/orders/${encodeURIComponent(params.id)}`;
  let order = await api.get(path, { signal });
  const makers = await makerNames(order, signal);
  let timer = null;
  let stopped = false;
  setTitle(`Order ${order.reference}`);

  const draw = () => {
    const focusedText = main.contains(document.activeElement) ? document.activeElement.textContent : null;
    replace(main, view(order, { placed: query.has('placed'), onCancelled, operator, onChanged: () => poll(), makers }));
    if (focusedText) [...main.querySelectorAll('button, a, summary')].find((el) => el.textContent === focusedText)?.focus();
  };
  const onCancelled = (updated) => {
    order = updated;
    draw();
    schedule();
  };
  const poll = async () => {
    if (document.hidden) {
      schedule(POLL_MS);
      return;
    }
    try {
      const wait = order.status === 'pending' ? `?wait=${WAIT_S}` : '';
      const latest = await api.get(path + wait, { signal });
      if (JSON.stringify(latest) !== JSON.stringify(order)) {
        const before = order;
        order = latest;
        draw();
        describeChange(before, latest, makers);
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      schedule(POLL_MS);
      return;
    }
    schedule();
  };
  // A pending order is asked again at once (the server holds the answer); others every POLL_MS.
  const schedule = (delay = order.status === 'pending' ? 0 : POLL_MS) => {
    clearTimeout(timer);
    if (!stopped && !isSettled(order)) timer = setTimeout(poll, delay);
  };

  draw();
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function describeChange(before, after, makers) {
  if (before.status !== after.status) announce(`Order ${fmt.orderStatus(after.status).toLowerCase()}`);
  (after.maker_orders || []).forEach((mo) => {
    const old = (before.maker_orders || []).find((b) => b.id === mo.id);
    if (!old || old.status !== mo.status) announce(`${parcelName(mo, makers)}: ${fmt.makerOrderStatus(mo.status)}`);
  });
}
