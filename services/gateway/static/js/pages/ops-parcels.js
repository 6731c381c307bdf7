// The operators' parcel queues (/ops?tab=parcels&queue=...): maker orders across makers, each
// row with its reference, maker, where it goes and what to do next.
//   quality   in production: made, waiting for the maker's passed quality check
//   dispatch  dispatched: on their way; an operator marks them delivered (the carrier's stand-in)
//   overdue   accepted and not dispatched by their dispatch date: to chase with the maker
//   refunds   delivered: an operator may refund one in full, saying why
// Each can be narrowed to one maker; the overdue queue also by status.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { empty, pill, section, tabs } from '../components/ui.js';
import { pagedList } from './orders.js';

const QUEUES = {
  quality: { text: 'Quality checks', query: { status: 'in_production' }, intro: 'Pieces in production, waiting for their maker\'s quality check.', none: 'No parcels are waiting for a quality check.' },
  dispatch: { text: 'Dispatched', query: { status: 'dispatched' }, intro: 'Parcels on their way. Mark one delivered once the carrier confirms it.', none: 'No parcels are on their way.' },
  overdue: { text: 'Overdue', query: { overdue: 'true' }, intro: 'Accepted parcels not dispatched by their dispatch date: chase the maker.', none: 'No parcels are overdue.' },
  refunds: { text: 'Refunds', query: { status: 'delivered' }, intro: 'Delivered parcels. Refund one in full when a fault is found after delivery.', none: 'No delivered parcels.' },
};
const OVERDUE_STATUSES = ['in_production', 'quality_checked'];

function deliverButton(mo, reload) {
  return h('button', {
    type: 'button',
    class: 'button button--small',
    'aria-label': `Mark ${mo.reference} delivered`,
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api.post(`/maker-orders/${mo.id}/deliver`, {});
        toast(`${mo.reference} is delivered.`);
      } catch (error) {
        toast(error instanceof api.ApiError ? error.detail || error.title : 'Please try again.', { kind: 'error' });
      }
      reload();
    },
  }, 'Mark delivered');
}

function refundForm(mo, reload) {
  const form = h('form', { class: 'stack', 'aria-label': `Refund ${mo.reference}`, novalidate: true },
    forms.field({ name: 'reason', label: `Why is ${mo.reference} refunded?`, required: true, attrs: { maxlength: '1000' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button--danger button--small' }, 'Refund in full')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await forms.submitting(form, () => api.post(`/maker-orders/${mo.id}/refund`, { reason: forms.text(form, 'reason') }));
    if (!done) return;
    toast(`${mo.reference} is refunded.`);
    reload();
  });
  return form;
}

function action(queue, mo, reload) {
  const open = h('a', { href: `/orders/${mo.order_id}` }, h('span', { class: 'visually-hidden' }, `${mo.reference}: `), 'Open the order');
  if (queue === 'dispatch') return [deliverButton(mo, reload), ' ', open];
  if (queue === 'refunds' && !mo.refunded_at) return [refundForm(mo, reload), open];
  return open;
}

function parcelRow(queue, makers, reload) {
  return (mo) => {
    const to = mo.shipping_address;
    return h('li', { class: 'panel parcel-row', dataset: { makerOrderId: mo.id, reference: mo.reference, status: mo.status } },
      h('h3', {}, mo.reference, ' ', pill(mo.status, fmt.makerOrderStatus(mo.status)), mo.refunded_at ? ' (refunded)' : ''),
      h('p', { class: 'muted' }, [
        makers.get(mo.maker_id)?.name || 'A maker no longer listed',
        to ? `to ${[to.city, fmt.country(to.country)].filter(Boolean).join(', ')}` : null,
        mo.dispatch_by && OVERDUE_STATUSES.includes(mo.status) ? `dispatch by ${fmt.day(mo.dispatch_by)}` : null,
        mo.tracking ? `${mo.tracking.carrier} ${mo.tracking.tracking_number}` : null,
      ].filter(Boolean).join(' · ')),
      h('div', { class: 'actions' }, action(queue, mo, reload)));
  };
}

function filters(queue, makers, makerId, status) {
  return h('form', { class: 'field-row parcel-filters', method: 'get', action: '/ops', 'aria-label': 'Filter parcels' },
    h('input', { type: 'hidden', name: 'tab', value: 'parcels' }),
    h('input', { type: 'hidden', name: 'queue', value: queue }),
    forms.select({ name: 'maker_id', label: 'Maker', value: makerId, options: [['', 'Every maker'], ...makerOptions(makers)] }),
    queue === 'overdue'
      ? forms.select({ name: 'status', label: 'Stage', value: status, options: [['', 'Any stage'], ...OVERDUE_STATUSES.map((s) => [s, fmt.makerOrderStatus(s)])] })
      : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button--secondary' }, 'Filter')));
}

async function makerNames(signal) {
  const lists = await Promise.all(['approved', 'suspended'].map((status) => api.getAll('/makers', { status }, { signal })));
  return new Map(lists.flat().map((m) => [m.id, { name: m.display_name, handle: m.handle }]));
}

// Two makers may share a display name; the handle (unique) tells them apart in the filter.
function makerOptions(makers) {
  return [...makers]
    .map(([id, maker]) => [id, `${maker.name} (${maker.handle})`])
    .sort((a, b) => a[1].localeCompare(b[1]));
}

export async function renderParcelQueues(container, ctx) {
  const queue = QUEUES[ctx.query.get('queue')] ? ctx.query.get('queue') : 'dispatch';
  const makerId = ctx.query.get('maker_id') || '';
  const status = OVERDUE_STATUSES.includes(ctx.query.get('status')) ? ctx.query.get('status') : '';
  const { text, query, intro, none } = QUEUES[queue];
  const box = h('div', {});
  replace(container, h('h2', {}, 'Parcels'),
    tabs('Parcel queues', Object.entries(QUEUES).map(([key, q]) => ({ key, text: q.text, href: `/ops?tab=parcels&queue=${key}` })), queue),
    h('p', { class: 'muted' }, intro), box);
  const reload = () => section(box, async () => {
    const makers = await makerNames(ctx.signal);
    const list = pagedList(
      (cursor) => api.get('/maker-orders', { query: { ...query, maker_id: makerId || null, status: query.status || status || null, cursor, limit: 50 }, signal: ctx.signal }),
      parcelRow(queue, makers, reload),
      { emptyText: none, label: text });
    await list.first();
    return [filters(queue, makers, makerId, status), list.box];
  }, 'Loading parcels…');
  await reload();
}
