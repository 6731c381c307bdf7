// The operators' payout runs (/ops?tab=payouts): start a run, which pays every maker's available
// balance over the minimum, and see what it paid. A run that is retried (the answer was lost)
// sends the same Idempotency-Key, so it is replayed instead of run again.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { words } from '../core/messages.js';
import { empty, scrollingTable } from '../components/ui.js';

const STATUS_TEXT = {
  paid: 'Paid',
  failed: 'Failed — refused by the payout provider; the next run tries again',
  pending: 'Waiting for the payout provider; the next run finishes it',
};

function resultTable(run) {
  return scrollingTable(h('table', { class: 'data-table', dataset: { runId: run.id } },
    h('caption', {}, 'Payouts of this run'),
    h('thead', {}, h('tr', {}, ['Maker', 'Amount', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, run.payouts.map((payout) => h('tr', { dataset: { makerId: payout.maker_id, status: payout.status } },
      h('th', { scope: 'row' }, String(payout.maker_id).slice(0, 8).toUpperCase()),
      h('td', { class: 'num' }, fmt.money(payout.amount)),
      h('td', {}, STATUS_TEXT[payout.status] || fmt.humanise(payout.status)))))));
}

function summary(run) {
  const paid = run.payouts.filter((p) => p.status === 'paid');
  if (!run.payouts.length) return 'Nothing to pay: no maker has an available balance of at least the payout minimum.';
  const total = fmt.moneySum(paid.map((p) => p.amount), paid[0]?.amount.currency || 'GBP');
  const others = run.payouts.length - paid.length;
  return `Paid ${fmt.money(total)} to ${fmt.plural(paid.length, 'maker')}${others ? `; ${fmt.plural(others, 'payout')} not paid yet` : ''}.`;
}

export async function renderPayoutRuns(container) {
  const action = new api.IdempotentAction();
  const result = h('div', { class: 'payout-run-result', 'aria-live': 'polite' },
    empty('No run started from this page yet. Scheduled runs (marketplace payout-run) pay the same way.'));
  const form = h('form', { class: 'stack', 'aria-label': 'Start a payout run', novalidate: true },
    h('p', { class: 'muted' }, 'Each maker whose available earnings (14 days after delivery, no return open) come to at least the payout minimum is paid once; running again never pays anything twice.'),
    h('button', { type: 'submit', class: 'button' }, 'Start a payout run'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const run = await forms.submitting(form, async () => {
      try {
        return await api.post('/payout-runs', undefined, { idempotencyKey: action.keyFor({}) });
      } catch (error) {
        const message = words(error?.code, 'payout_run');
        if (message) error.detail = message;
        throw error;
      }
    }, { busyLabel: 'Paying…' });
    if (run) {
      action.done();
      const text = summary(run);
      replace(result, h('p', { dataset: { summary: '' } }, text), run.payouts.length ? resultTable(run) : null);
      toast(text);
    }
  });
  replace(container, h('h2', {}, 'Payout runs'), form, result);
}
