// The customer's orders and commissions.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { setTitle } from '../core/router.js';
import { empty, errorBox, pill, section } from '../components/ui.js';

export function orderRow(order) {
  const lines = order.lines || [];
  const titles = lines.map((l) => l.title).slice(0, 2).join(', ') + (lines.length > 2 ? ` and ${lines.length - 2} more` : '');
  return h('li', { class: 'row-card', dataset: { orderId: order.id, status: order.status } },
    h('a', { href: `/orders/${order.id}`, class: 'row-card__link' },
      h('span', { class: 'row-card__title' }, `Order ${order.reference}`),
      h('span', { class: 'row-card__meta' }, [fmt.when(order.created_at), titles].filter(Boolean).join(' · '))),
    h('span', { class: 'row-card__side' }, pill(order.status, fmt.orderStatus(order.status)), ' ', fmt.money(order.total)));
}

/** A list with a "Load more" that follows next_cursor. */
export function pagedList(fetchPage, renderItem, { emptyText, label }) {
  const list = h('ul', { class: 'rows', 'aria-label': label });
  const more = h('div', {});
  const box = h('div', {}, list, more);
  const load = async (cursor) => {
    const page = await fetchPage(cursor);
    list.append(...(page?.items || []).map(renderItem));
    if (!list.children.length) replace(box, empty(emptyText));
    replace(more, page?.next_cursor ? moreButton(page.next_cursor) : null);
  };
  const moreButton = (cursor) => h('button', {
    type: 'button', class: 'button button--secondary',
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await load(cursor);
      } catch (error) {
        replace(more, errorBox(error, () => replace(more, moreButton(cursor))));
      }
    },
  }, 'Load more');
  return { box, first: () => load(null) };
}

export function commissionRow(commission) {
  return h('li', { class: 'row-card', dataset: { commissionId: commission.id, status: commission.status } },
    h('a', { href: `/commissions/${commission.id}`, class: 'row-card__link' },
      h('span', { class: 'row-card__title' }, commission.brief?.slice(0, 80) || 'Commission'),
      h('span', { class: 'row-card__meta' }, `Requested ${fmt.when(commission.created_at)}`)),
    h('span', { class: 'row-card__side' }, pill(commission.status, fmt.commissionStatus(commission.status)),
      commission.quote?.price ? ` ${fmt.money(commission.quote.price)}` : ''));
}

export async function render(ctx) {
  setTitle('Your orders');
  if (!requireRole(ctx, ['customer'], 'Your orders')) return;
  const { signal } = ctx;
  const orders = pagedList((cursor) => api.get('/orders', { query: { cursor, limit: 20 }, signal }), orderRow,
    { emptyText: 'You have no orders yet.', label: 'Orders' });
  const commissions = pagedList((cursor) => api.get('/commissions', { query: { cursor, limit: 20 }, signal }), commissionRow,
    { emptyText: 'You have not requested any commissions. Makers who take them have a request form on their page.', label: 'Commissions' });
  const ordersBox = h('div', {});
  const commissionsBox = h('div', {});
  replace(ctx.main, h('div', { class: 'page page--narrow' },
    h('h1', {}, 'Your orders'),
    ordersBox,
    h('h2', { id: 'commissions' }, 'Bespoke commissions'),
    commissionsBox));
  await Promise.all([
    section(ordersBox, async () => { await orders.first(); return orders.box; }, 'Loading orders…'),
    section(commissionsBox, async () => { await commissions.first(); return commissions.box; }, 'Loading commissions…'),
  ]);
}
