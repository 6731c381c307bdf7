// One bespoke commission, as its customer sees it: the brief, the maker's quote, and accepting
// it (which places an order, so it carries an Idempotency-Key) or withdrawing.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace, dl } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import * as rings from '../core/ringsizes.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { pill } from '../components/ui.js';
import { entries } from '../components/timeline.js';
import { messageMakerLink } from '../components/message-maker.js';
import { addressFields, paymentFields, readAddress } from './checkout.js';

function acceptForm(commission, navigate) {
  const action = new api.IdempotentAction();
  const form = h('form', { class: 'stack', 'aria-labelledby': 'accept-title', novalidate: true },
    h('h2', { id: 'accept-title' }, 'Accept the quote'),
    h('p', {}, `Accepting places an order for ${fmt.money(commission.quote.price)}. A bespoke piece is made to your specification, so it has no 14-day cancellation right.`),
    addressFields(), paymentFields(),
    h('button', { type: 'submit', class: 'button' }, `Accept and pay ${fmt.money(commission.quote.price)}`));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { shipping_address: readAddress(form), payment: { token: forms.text(form, 'token') } };
    const order = await forms.submitting(form, () => api.post(`/commissions/${commission.id}/accept`, body, { idempotencyKey: action.keyFor(body) }), { busyLabel: 'Placing order…' });
    if (!order) return;
    action.done();
    navigate(`/orders/${order.id}?placed=1`);
  });
  return form;
}

function withdrawButton(commission, refresh) {
  const form = h('form', { class: 'inline-form' }, h('button', { type: 'submit', class: 'button button--secondary' }, 'Withdraw the request'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!window.confirm('Withdraw this commission request?')) return;
    const done = await forms.submitting(form, () => api.post(`/commissions/${commission.id}/withdraw`, {}));
    if (done) {
      toast('Request withdrawn.');
      refresh();
    }
  });
  return form;
}

export async function render(ctx) {
  setTitle('Commission');
  if (!requireRole(ctx, ['customer'], 'Commission')) return;
  const commission = await api.get(`/commissions/${encodeURIComponent(ctx.params.id)}`, { signal: ctx.signal });
  const maker = await api.get(`/makers/${encodeURIComponent(commission.maker_id)}`, { signal: ctx.signal }).catch(() => null);
  const quote = commission.quote;
  replace(ctx.main, h('div', { class: 'page page--narrow', dataset: { commissionId: commission.id, status: commission.status } },
    h('p', { class: 'eyebrow' }, h('a', { href: '/orders#commissions' }, 'Your commissions')),
    h('h1', {}, maker ? `Commission from ${maker.display_name}` : 'Commission'),
    h('p', {}, 'Status: ', pill(commission.status, fmt.commissionStatus(commission.status))),
    dl([
      ['Your brief', commission.brief],
      ['Budget', fmt.money(commission.budget)],
      ['Ring size', commission.ring_size_mm ? rings.describe(Number(commission.ring_size_mm)) : null],
      ['Needed by', fmt.day(commission.deadline)],
      ['Declined because', commission.decline_reason],
    ]),
    messageMakerLink({ commission_id: commission.id }, maker?.display_name),
    quote ? h('section', { class: 'panel', 'aria-labelledby': 'quote-title' },
      h('h2', { id: 'quote-title' }, 'The maker\'s quote'),
      dl([
        ['Price', fmt.money(quote.price)],
        ['Time to make', fmt.leadTime(quote.lead_time_days)],
        ['What they will make', quote.description],
      ])) : h('p', { class: 'muted' }, 'The maker has not sent a quote yet.'),
    commission.order_id ? h('p', {}, h('a', { href: `/orders/${commission.order_id}`, class: 'button' }, `View order ${commission.order_reference}`)) : null,
    commission.status === 'quoted' ? acceptForm(commission, ctx.navigate) : null,
    ['requested', 'quoted'].includes(commission.status) ? withdrawButton(commission, ctx.refresh) : null,
    commission.timeline?.length ? h('section', {}, h('h2', {}, 'History'), entries(commission.timeline)) : null));
}
