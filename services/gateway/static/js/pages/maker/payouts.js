// The maker's payouts: what is held (pending), what the next payout run sends (available) and
// what was paid, each ledger line with its order's reference and state; the payouts made; and a
// statement of any period to download as CSV.

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import { toast } from '../../core/live.js';
import { words } from '../../core/messages.js';
import { empty, pill, scrollingTable, section } from '../../components/ui.js';

const STATE_TEXT = {
  pending: 'Pending',
  available: 'Available',
  paid: 'Paid',
};

const PAYOUT_STATUS_TEXT = {
  paid: 'Paid',
  failed: 'Failed — the next payout run tries again',
};

function ledgerTable(items) {
  return scrollingTable(h('table', { class: 'data-table' },
    h('caption', {}, 'Ledger'),
    h('thead', {}, h('tr', {}, ['Date', 'Kind', 'Order', 'Gross', 'Commission', 'Net', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((entry) => h('tr', { dataset: { kind: entry.kind, state: entry.state } },
      h('td', {}, fmt.when(entry.at)),
      h('th', { scope: 'row' }, entry.kind === 'earning' ? 'Earning' : 'Reversal'),
      h('td', {}, entry.reference || String(entry.maker_order_id).slice(0, 8).toUpperCase()),
      h('td', { class: 'num' }, fmt.money(entry.gross)),
      h('td', { class: 'num' }, fmt.money(entry.commission)),
      h('td', { class: 'num' }, fmt.money(entry.net)),
      h('td', {}, pill(entry.state, STATE_TEXT[entry.state] || fmt.humanise(entry.state))))))));
}

function payoutsTable(payouts) {
  return scrollingTable(h('table', { class: 'data-table' },
    h('caption', {}, 'Payouts'),
    h('thead', {}, h('tr', {}, ['Date', 'Amount', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, payouts.map((payout) => h('tr', { dataset: { payoutId: payout.id, status: payout.status } },
      h('th', { scope: 'row' }, fmt.when(payout.paid_at)),
      h('td', { class: 'num' }, fmt.money(payout.amount)),
      h('td', {}, PAYOUT_STATUS_TEXT[payout.status] || fmt.humanise(payout.status)))))));
}

function balances(ledger) {
  const zero = { amount: 0, currency: ledger?.balance?.currency || 'GBP' };
  const figure = (key, label, hint) => h('div', { class: 'panel', dataset: { figure: key } },
    h('dt', {}, label),
    h('dd', {}, h('strong', {}, fmt.money(ledger?.[key] || zero))),
    h('dd', { class: 'muted' }, hint));
  return h('dl', { class: 'two-col payout-balances' },
    figure('pending', 'Pending', 'Held for 14 days after delivery, and while a return is open.'),
    figure('available', 'Available', 'Sent to you by the next payout run, once it reaches the payout minimum.'),
    figure('paid', 'Paid', 'Sent to your account by payout runs.'));
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function download(text, filename) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function statementForm() {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400000);
  const form = h('form', { class: 'stack inline-form', 'aria-label': 'Download a statement', novalidate: true },
    h('h3', {}, 'Statement'),
    h('p', { class: 'muted' }, 'Every ledger line of the period as a spreadsheet (CSV): date, order reference, kind, gross, commission and net.'),
    forms.field({ name: 'from', label: 'From', type: 'date', value: isoDay(monthAgo), required: true }),
    forms.field({ name: 'to', label: 'To', type: 'date', value: isoDay(today), required: true }),
    h('button', { type: 'submit', class: 'button' }, 'Download statement'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = { from: forms.text(form, 'from'), to: forms.text(form, 'to') };
    const csv = await forms.submitting(form, async () => {
      try {
        return await api.getCsv('/payouts/statement.csv', { query });
      } catch (error) {
        const message = words(error?.code, 'payout_statement');
        if (message) error.detail = message;
        throw error;
      }
    }, { busyLabel: 'Preparing…' });
    if (csv !== undefined) {
      download(csv, `statement-${query.from}-${query.to}.csv`);
      toast('Your statement is downloaded.');
    }
  });
  return form;
}

export async function renderPayouts(container, ctx) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Payouts'), box);
  await section(box, async () => {
    const ledger = await api.get('/payouts', { query: { limit: 100 }, signal: ctx.signal });
    const items = ledger?.items || [];
    const payouts = ledger?.payouts || [];
    return [
      h('p', { class: 'balance' }, 'Balance ', h('strong', { dataset: { balance: '' } }, fmt.money(ledger?.balance || { amount: 0, currency: 'GBP' }))),
      balances(ledger),
      h('p', { class: 'muted' }, 'You earn each order\'s price less the marketplace commission when it is delivered. A refund after delivery posts a reversal; entries are never edited.'),
      items.length ? ledgerTable(items) : empty('No earnings yet: they appear when your first order is delivered.'),
      payouts.length ? payoutsTable(payouts) : empty('No payouts yet: available earnings are sent by the next payout run.'),
      statementForm(),
    ];
  }, 'Loading your ledger…');
}
