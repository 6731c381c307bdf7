// The maker-order queue: accept or decline, the quality inspection, and dispatch with the
// carrier and tracking number.

import * as api from '../../core/api.js';
import { h, replace, dl } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import * as rings from '../../core/ringsizes.js';
import { toast } from '../../core/live.js';
import { empty, pill, section, tabs } from '../../components/ui.js';
import { progress } from '../../components/timeline.js';
import { optionText } from '../basket.js';
import { addressBlock } from '../../components/address-book.js';

const FILTERS = [
  ['', 'All'], ['awaiting_acceptance', 'To accept'], ['in_production', 'In production'],
  ['quality_checked', 'Ready to dispatch'], ['dispatched', 'Dispatched'], ['delivered', 'Delivered'],
];

const VERIFY = [['true', 'Verified'], ['false', 'Failed'], ['', 'Not applicable']];

function triState(form, name) {
  const value = forms.text(form, name);
  return value === '' ? null : value === 'true';
}

function lines(mo) {
  return h('ul', { class: 'plain maker-order__lines' }, (mo.lines || []).map((line) => h('li', {},
    h('strong', {}, `${line.quantity} × ${line.title}`),
    optionText(line.options).length ? h('ul', { class: 'options' }, optionText(line.options).map((t) => h('li', {}, t))) : null,
    line.cancellation_right === 'exempt_personalised' ? h('span', { class: 'muted' }, ' (personalised)') : null)));
}

function declineForm(mo, done) {
  const form = h('form', { class: 'stack inline-form', 'aria-label': 'Decline this order', novalidate: true },
    forms.field({ name: 'reason', label: 'Reason for declining', required: true }),
    h('button', { type: 'submit', class: 'button button--danger button--small' }, 'Decline'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await forms.submitting(form, () => api.post(`/maker-orders/${mo.id}/decline`, { reason: forms.text(form, 'reason') }));
    if (result) done('Declined; the customer is refunded for your part.');
  });
  return h('details', {}, h('summary', {}, 'Decline…'), form);
}

function acceptButton(mo, done) {
  const form = h('form', { class: 'inline-form' }, h('button', { type: 'submit', class: 'button' }, 'Accept order'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await forms.submitting(form, () => api.post(`/maker-orders/${mo.id}/accept`, {}), { busyLabel: 'Accepting…' });
    if (result) done('Accepted: it is in production.');
  });
  return form;
}

function ringSizeField(line, name, loc, label) {
  return forms.field({
    name, loc, label, type: 'number',
    value: String(line.options.ring_size_mm), hint: `Ordered: ${rings.describe(Number(line.options.ring_size_mm))}. Millimetres, to two decimals.`, attrs: { step: '0.01', inputmode: 'decimal' },
  });
}

function qualityForm(mo, done) {
  // Each ring is measured against its own ordered size: one field per ring line when the
  // parcel holds several.
  const sizedLines = (mo.lines || []).filter((line) => line.options?.ring_size_mm);
  const sized = sizedLines.length === 1 ? sizedLines[0] : null;
  const engraved = (mo.lines || []).some((line) => line.options?.engraving_text);
  const form = h('form', { class: 'stack quality-form', 'aria-labelledby': `qc-${mo.id}`, novalidate: true },
    h('h4', { id: `qc-${mo.id}` }, 'Quality inspection'),
    h('div', { class: 'field-row', dataset: { loc: 'checks', fieldLoc: 'checks' } },
      forms.checkbox({ name: 'finish_inspected', loc: 'checks.finish_inspected', label: 'Finish inspected', checked: true }),
      forms.select({ name: 'hallmark_verified', loc: 'checks.hallmark_verified', label: 'Hallmark', options: VERIFY, value: '' }),
      forms.select({ name: 'stones_secure', loc: 'checks.stones_secure', label: 'Stones secure', options: VERIFY, value: '' }),
      forms.select({ name: 'engraving_verified', loc: 'checks.engraving_verified', label: 'Engraving', options: VERIFY, value: engraved ? 'true' : '' })),
    sized ? ringSizeField(sized, 'measured_ring_size_mm', 'checks.measured_ring_size_mm', 'Measured ring size (mm)') : null,
    sizedLines.length > 1 ? sizedLines.map((line, index) => ringSizeField(line, `measured_ring_size_${index}`, `checks.measured_ring_sizes_mm.${index}.mm`, `Measured size of ${line.title} (mm)`)) : null,
    forms.radioGroup({ legend: 'Result', name: 'passed', value: 'true', options: [['true', 'Passed — ready to dispatch'], ['false', 'Failed — back to production']] }),
    forms.textarea({ name: 'notes', label: 'Notes', rows: 2 }),
    h('button', { type: 'submit', class: 'button' }, 'Record inspection'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      passed: forms.radioValue(form, 'passed') === 'true',
      checks: {
        finish_inspected: forms.checked(form, 'finish_inspected'),
        hallmark_verified: triState(form, 'hallmark_verified'),
        stones_secure: triState(form, 'stones_secure'),
        engraving_verified: triState(form, 'engraving_verified'),
        measured_ring_size_mm: sized ? forms.number(form, 'measured_ring_size_mm') : null,
        measured_ring_sizes_mm: sizedLines.length > 1
          ? sizedLines.map((line, index) => ({ line_id: line.id, mm: forms.number(form, `measured_ring_size_${index}`) }))
          : [],
      },
      notes: forms.text(form, 'notes'),
    };
    const result = await forms.submitting(form, () => api.post(`/maker-orders/${mo.id}/quality-check`, body));
    if (result) done(result.status === 'quality_checked' ? 'Inspection passed: ready to dispatch.' : 'Inspection recorded: back in production.');
  });
  return form;
}

function dispatchForm(mo, done) {
  const form = h('form', { class: 'stack dispatch-form', 'aria-labelledby': `dispatch-${mo.id}`, novalidate: true },
    h('h4', { id: `dispatch-${mo.id}` }, 'Dispatch'),
    h('div', { class: 'field-row' },
      forms.field({ name: 'carrier', label: 'Carrier', required: true, attrs: { autocomplete: 'off', list: 'carriers' } }),
      forms.field({ name: 'tracking_number', label: 'Tracking number', required: true, attrs: { autocomplete: 'off', spellcheck: 'false' } })),
    h('datalist', { id: 'carriers' }, ['Royal Mail', 'Parcelforce', 'DPD', 'DHL', 'UPS', 'Evri'].map((c) => h('option', { value: c }))),
    h('button', { type: 'submit', class: 'button' }, 'Mark as dispatched'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { carrier: forms.text(form, 'carrier'), tracking_number: forms.text(form, 'tracking_number') };
    const result = await forms.submitting(form, () => api.post(`/maker-orders/${mo.id}/dispatch`, body));
    if (result) done('Dispatched: the customer can follow the parcel.');
  });
  return form;
}

function makerOrderCard(mo, reload) {
  const done = (message) => {
    toast(message);
    reload();
  };
  const actions = [];
  if (mo.status === 'awaiting_acceptance') actions.push(h('div', { class: 'actions' }, acceptButton(mo, done), declineForm(mo, done)));
  if (mo.status === 'in_production') actions.push(qualityForm(mo, done));
  if (mo.status === 'quality_checked') actions.push(dispatchForm(mo, done));
  return h('li', { class: 'panel maker-order', dataset: { makerOrderId: mo.id, status: mo.status } },
    h('h3', {}, `Order ${mo.reference} `, pill(mo.status, fmt.makerOrderStatus(mo.status))),
    progress(mo.status),
    lines(mo),
    dl([
      ['Received', fmt.when(mo.created_at)],
      ['Make within', mo.lead_time_days ? fmt.leadTime(mo.lead_time_days) : null],
      ['Gross', fmt.money(mo.gross)],
      ['Commission', fmt.money(mo.commission)],
      ['You earn', fmt.money(mo.net)],
      ['Dispatch by', mo.dispatch_by && ['in_production', 'quality_checked'].includes(mo.status) ? fmt.day(mo.dispatch_by) : null],
      // Every line of the address, as the parcel's label has them.
      ['Ship to', mo.shipping_address ? addressBlock(mo.shipping_address, { dataset: { shipTo: '' } }) : null],
      ['Gift message', mo.gift_message],
      ['Tracking', mo.tracking ? `${mo.tracking.carrier} ${mo.tracking.tracking_number}` : null],
    ]),
    actions);
}

export async function renderMakerOrders(container, ctx, maker) {
  if (maker.status !== 'approved' && maker.status !== 'suspended') {
    replace(container, h('h2', {}, 'Orders'), empty('Orders appear here once you are approved and selling.'));
    return;
  }
  const status = ctx.query.get('status') || '';
  const listBox = h('div', {});
  const reload = () => section(listBox, async () => {
    const items = await api.getAll('/maker-orders', { status: status || null }, { signal: ctx.signal });
    if (!items.length) return empty(status ? `No orders ${fmt.makerOrderStatus(status).toLowerCase()}.` : 'No orders yet.');
    return h('ul', { class: 'rows', 'aria-label': 'Maker orders' }, items.map((mo) => makerOrderCard(mo, reload)));
  }, 'Loading orders…');
  replace(container, h('h2', {}, 'Orders'),
    tabs('Filter orders', FILTERS.map(([key, text]) => ({ key, text, href: `/maker?tab=orders${key ? `&status=${key}` : ''}` })), status),
    listBox);
  await reload();
}
