// The maker's payouts ledger: earnings on delivery, reversals after refunds, and the balance.

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import { empty, scrollingTable, section } from '../../components/ui.js';

function ledgerTable(items) {
  return scrollingTable(h('table', { class: 'data-table' },
    h('caption', {}, 'Ledger'),
    h('thead', {}, h('tr', {}, ['Date', 'Kind', 'Order', 'Gross', 'Commission', 'Net'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((entry) => h('tr', { dataset: { kind: entry.kind } },
      h('td', {}, fmt.when(entry.at)),
      h('th', { scope: 'row' }, entry.kind === 'earning' ? 'Earning' : 'Reversal'),
      h('td', {}, String(entry.maker_order_id).slice(0, 8).toUpperCase()),
      h('td', { class: 'num' }, fmt.money(entry.gross)),
      h('td', { class: 'num' }, fmt.money(entry.commission)),
      h('td', { class: 'num' }, fmt.money(entry.net)))))));
}

export async function renderPayouts(container, ctx) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Payouts'), box);
  await section(box, async () => {
    const ledger = await api.get('/payouts', { query: { limit: 100 }, signal: ctx.signal });
    const items = ledger?.items || [];
    return [
      h('p', { class: 'balance' }, 'Balance ', h('strong', { dataset: { balance: '' } }, fmt.money(ledger?.balance || { amount: 0, currency: 'GBP' }))),
      h('p', { class: 'muted' }, 'You earn each order\'s price less the marketplace commission when it is delivered. A refund after delivery posts a reversal; entries are never edited.'),
      items.length ? ledgerTable(items) : empty('No earnings yet: they appear when your first order is delivered.'),
    ];
  }, 'Loading your ledger…');
}
