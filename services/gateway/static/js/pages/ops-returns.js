// The operators' returns queue (/ops?tab=returns): every return still on its way back, each with
// the customer's reason and note; an operator can reject one, saying why, or mark it received.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { empty, section } from '../components/ui.js';
import { humanReturnError, returnCard } from '../components/returns.js';

function decideForm(ret, reload) {
  const form = h('form', { class: 'return-decision', novalidate: true },
    forms.textarea({ label: 'Why is the return rejected?', name: 'reason', rows: 2, attrs: { maxlength: '1000' } }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button--danger', value: 'reject' }, 'Reject the return'),
      h('button', { type: 'button', class: 'button', dataset: { action: 'receive' } }, 'Mark received and refund')));
  const decide = async (button, action) => {
    const done = await forms.submitting(form, async () => {
      try {
        return await action();
      } catch (error) {
        throw humanReturnError(error);
      }
    }, { button });
    if (done) {
      toast(done.status === 'refunded' ? `Refunded ${fmt.money(done.refund.amount)} to the customer.` : 'The return is rejected.');
      reload();
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    decide(event.submitter || form.querySelector('button[type="submit"]'),
      () => api.post(`/returns/${ret.id}/reject`, { reason: forms.text(form, 'reason') }));
  });
  const receive = form.querySelector('[data-action="receive"]');
  receive.addEventListener('click', () => decide(receive, () => api.post(`/returns/${ret.id}/receive`, {})));
  return form;
}

export async function renderReturnsQueue(container, ctx) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Returns'),
    h('p', { class: 'muted' }, 'Returns customers have started and makers have not yet received.'), box);
  const reload = () => section(box, async () => {
    const items = await api.getAll('/returns', { status: 'requested' }, { signal: ctx.signal });
    if (!items.length) return empty('No returns waiting.');
    return items.map((ret) => returnCard(ret, { actions: [
      h('p', {}, h('a', { href: `/orders/${ret.order_id}` }, 'Open the order')),
      decideForm(ret, reload),
    ] }));
  }, 'Loading returns…');
  await reload();
}
