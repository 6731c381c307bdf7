// The customer's returns of one delivered parcel, on the order page: the last days to return
// it, a "Return items" form (how many of each piece, why, a note) and the returns already made.

import * as api from '../core/api.js';
import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { section } from '../components/ui.js';
import { RETURN_REASONS, humanReturnError, returnCard } from '../components/returns.js';

function windowText(mo) {
  const until = mo.returns_until;
  if (!until) return null;
  return h('p', { class: 'returns-window' },
    `You can return pieces from this parcel if you change your mind until ${fmt.day(until.changed_mind)}, `
    + `or if they are faulty or not as described until ${fmt.day(until.faulty_or_not_as_described)}. `
    + 'Personalised pieces can be returned only if faulty or not as described.');
}

function returnForm(order, mo, onRequested) {
  const quantityInputs = mo.lines.map((line) => h('input', {
    type: 'number', name: `quantity-${line.id}`, min: '0', max: String(line.quantity), value: '0', inputmode: 'numeric',
    dataset: { lineId: line.id },
  }));
  const form = h('form', { class: 'return-form', novalidate: true },
    h('fieldset', { class: 'field field--group', dataset: { fieldLoc: 'lines', loc: 'lines' } },
      h('legend', {}, 'How many of each piece are you sending back?'),
      mo.lines.map((line, i) => forms.field({
        label: `${line.title} (you bought ${line.quantity})`,
        control: quantityInputs[i],
        loc: `line-${line.id}`,
        hint: line.cancellation_right === 'exempt_personalised' ? 'Personalised: only if faulty or not as described' : null,
      }))),
    forms.radioGroup({ legend: 'Why are you returning it?', name: 'reason', options: Object.entries(RETURN_REASONS), value: 'changed_mind' }),
    forms.textarea({ label: 'Anything the maker should know (optional)', name: 'note', rows: 3, attrs: { maxlength: '2000' } }),
    h('button', { type: 'submit', class: 'button' }, 'Start the return'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // The server names lines by their place in what was sent: point each place at its input.
    const chosen = mo.lines.map((line, i) => [line, quantityInputs[i]]).filter(([, input]) => Number(input.value) > 0);
    quantityInputs.forEach((input) => { input.dataset.loc = `line-${input.dataset.lineId}`; });
    chosen.forEach(([, input], k) => { input.dataset.loc = `lines.${k}`; });
    const body = {
      lines: chosen.map(([line, input]) => ({ line_id: line.id, quantity: Number(input.value) })),
      reason: forms.radioValue(form, 'reason'),
      note: forms.text(form, 'note'),
    };
    const created = await forms.submitting(form, async () => {
      try {
        return await api.post(`/orders/${order.id}/returns`, body);
      } catch (error) {
        throw humanReturnError(error);
      }
    }, { busyLabel: 'Starting…' });
    if (created) {
      toast('Your return is started. Send the pieces back to the maker; you are refunded when they arrive.');
      onRequested();
    }
  });
  return form;
}

/** The returns block of a delivered parcel (customers only). */
export function parcelReturns(order, mo) {
  const box = h('div', { class: 'parcel-returns' });
  const load = () => section(box, async () => {
    const found = await api.get('/returns', { query: { order_id: order.id, limit: 100 } });
    const mine = (found?.items || []).filter((ret) => ret.maker_order_id === mo.id);
    return [
      mine.length ? h('div', { class: 'returns-list' }, mine.map((ret) => returnCard(ret, { heading: 'h4' }))) : null,
      h('details', { class: 'return-details' }, h('summary', {}, 'Return items'), returnForm(order, mo, load)),
    ];
  }, 'Loading your returns…');
  load();
  return h('div', { class: 'returns' }, windowText(mo), box);
}
