// The maker's returns to receive: what customers are sending back, and a button to say a parcel
// has arrived, which refunds the customer and posts a reversal to the maker's ledger.

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import { toast } from '../../core/live.js';
import { empty, errorBox, section } from '../../components/ui.js';
import { humanReturnError, returnCard } from '../../components/returns.js';

function receiveButton(ret, onReceived) {
  const holder = h('div', {});
  const button = h('button', { type: 'button', class: 'button' }, 'Received: refund the customer');
  button.addEventListener('click', async () => {
    if (!window.confirm('Have these pieces arrived back with you? The customer is refunded now.')) return;
    button.disabled = true;
    try {
      const received = await api.post(`/returns/${ret.id}/receive`, {});
      toast(`Received. ${fmt.money(received.refund.amount)} is refunded to the customer.`);
      onReceived();
    } catch (error) {
      button.disabled = false;
      replace(holder, button, errorBox(humanReturnError(error)));
    }
  });
  holder.append(button);
  return holder;
}

export async function renderReturns(container, ctx) {
  const toReceive = h('div', {});
  const done = h('div', {});
  replace(container,
    h('h2', {}, 'Returns to receive'),
    h('p', { class: 'muted' }, 'When a returned parcel reaches you, mark it received: the customer is refunded what they paid for those pieces (and the shipping when the whole parcel comes back), and the same amount less its commission is taken off your earnings.'),
    toReceive,
    h('h2', {}, 'Received'),
    done);
  const load = async () => {
    await section(toReceive, async () => {
      const found = await api.get('/returns', { query: { status: 'requested', limit: 100 }, signal: ctx.signal });
      const items = found?.items || [];
      return items.length
        ? items.map((ret) => returnCard(ret, { actions: receiveButton(ret, load) }))
        : empty('No returns on their way to you.');
    }, 'Loading returns…');
    await section(done, async () => {
      const found = await api.get('/returns', { query: { status: 'refunded', limit: 24 }, signal: ctx.signal });
      const items = found?.items || [];
      return items.length ? items.map((ret) => returnCard(ret)) : empty('Nothing received yet.');
    }, 'Loading returns…');
  };
  await load();
}
