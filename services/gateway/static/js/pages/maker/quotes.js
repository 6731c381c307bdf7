// Commission requests to the maker, and the quotes they send (or declining).

import * as api from '../../core/api.js';
import { h, replace, dl } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import * as rings from '../../core/ringsizes.js';
import { toast } from '../../core/live.js';
import { empty, pill, section } from '../../components/ui.js';

function quoteForm(commission, done) {
  const q = commission.quote;
  const form = h('form', { class: 'stack', 'aria-label': 'Send a quote', novalidate: true },
    h('div', { class: 'field-row' },
      forms.field({ name: 'price', label: 'Price (£)', required: true, value: q ? fmt.formatMajor(q.price.amount) : '', attrs: { inputmode: 'decimal' } }),
      forms.field({ name: 'lead_time_days', label: 'Days to make', type: 'number', required: true, value: q?.lead_time_days ?? '', attrs: { min: 1, inputmode: 'numeric' } })),
    forms.textarea({ name: 'description', label: 'What you will make', required: true, value: q?.description, rows: 3 }),
    h('button', { type: 'submit', class: 'button' }, q ? 'Send a new quote' : 'Send quote'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const amount = fmt.parseMajor(forms.text(form, 'price'));
    if (amount === null || Number.isNaN(amount)) {
      forms.showErrors(form, new api.ApiError(422, { errors: [{ loc: ['price'], msg: 'Enter an amount such as 450 or 450.00', code: 'price_invalid' }] }));
      return;
    }
    const body = {
      price: { amount, currency: commission.budget?.currency || 'GBP' },
      lead_time_days: forms.number(form, 'lead_time_days'),
      description: forms.text(form, 'description'),
    };
    const result = await forms.submitting(form, () => api.post(`/commissions/${commission.id}/quote`, body));
    if (result) done('Quote sent.');
  });
  return form;
}

function declineForm(commission, done) {
  const form = h('form', { class: 'stack inline-form', 'aria-label': 'Decline the commission', novalidate: true },
    forms.field({ name: 'reason', label: 'Reason (optional)' }),
    h('button', { type: 'submit', class: 'button button--danger button--small' }, 'Decline'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = forms.text(form, 'reason');
    const result = await forms.submitting(form, () => api.post(`/commissions/${commission.id}/decline`, reason ? { reason } : {}));
    if (result) done('Commission declined.');
  });
  return h('details', {}, h('summary', {}, 'Decline…'), form);
}

function commissionCard(commission, reload) {
  const done = (message) => {
    toast(message);
    reload();
  };
  const open = ['requested', 'quoted'].includes(commission.status);
  return h('li', { class: 'panel', dataset: { commissionId: commission.id, status: commission.status } },
    h('h3', {}, `Request of ${fmt.day(commission.created_at)} `, pill(commission.status, fmt.commissionStatus(commission.status))),
    dl([
      ['Brief', commission.brief],
      ['Budget', fmt.money(commission.budget)],
      ['Ring size', commission.ring_size_mm ? rings.describe(Number(commission.ring_size_mm)) : null],
      ['Needed by', fmt.day(commission.deadline)],
      ['Your quote', commission.quote ? `${fmt.money(commission.quote.price)}, ${fmt.leadTime(commission.quote.lead_time_days)}` : null],
    ]),
    open ? quoteForm(commission, done) : null,
    open ? declineForm(commission, done) : null);
}

export async function renderQuotes(container, ctx, maker) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Commissions'),
    maker.accepts_commissions ? null : h('p', { class: 'muted' }, 'You do not take new commissions (change this in your application).'),
    box);
  const reload = () => section(box, async () => {
    const items = await api.getAll('/commissions', {}, { signal: ctx.signal });
    if (!items.length) return empty('No commission requests yet.');
    return h('ul', { class: 'rows', 'aria-label': 'Commission requests' }, items.map((c) => commissionCard(c, reload)));
  }, 'Loading commissions…');
  await reload();
}
