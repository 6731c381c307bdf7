// Checkout: the shipping address and a sandbox card token, then POST /orders with an
// Idempotency-Key (the same key again if the same order is re-sent after a lost response).

import * as api from '../core/api.js';
import * as basket from '../core/basket.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { announce, toast } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { empty } from '../components/ui.js';
import { quoteFor, quoteProblem, quoteSummary } from '../components/delivery.js';
import { basketTotal, lineTotal, optionText } from './basket.js';
import { savedAddressChoice } from '../components/address-book.js';

const COUNTRIES = ['GB', 'IE', 'FR', 'DE', 'NL', 'BE', 'LU', 'ES', 'PT', 'IT', 'AT', 'CH', 'DK', 'SE', 'NO', 'FI',
  'PL', 'CZ', 'GR', 'US', 'CA', 'AU', 'NZ', 'JP', 'SG'];

export function countryOptions() {
  let names;
  try {
    names = new Intl.DisplayNames(['en-GB'], { type: 'region' });
  } catch {
    names = null;
  }
  return COUNTRIES.map((code) => [code, names?.of(code) || code]);
}

/** The address's fields, located under `prefix` in the body ('' when the body is the address). */
export function addressFields(prefix = 'shipping_address') {
  const at = (name) => (prefix ? `${prefix}.${name}` : name);
  return h('fieldset', { class: 'stack', dataset: { loc: prefix } },
    h('legend', {}, 'Delivery address'),
    forms.field({ name: 'name', loc: at('name'), label: 'Full name', required: true, attrs: { autocomplete: 'name' } }),
    forms.field({ name: 'line1', loc: at('line1'), label: 'Address line 1', required: true, attrs: { autocomplete: 'address-line1' } }),
    forms.field({ name: 'line2', loc: at('line2'), label: 'Address line 2 (optional)', attrs: { autocomplete: 'address-line2' } }),
    h('div', { class: 'field-row' },
      forms.field({ name: 'city', loc: at('city'), label: 'Town or city', required: true, attrs: { autocomplete: 'address-level2' } }),
      forms.field({ name: 'postcode', loc: at('postcode'), label: 'Postcode', required: true, attrs: { autocomplete: 'postal-code' } })),
    forms.select({ name: 'country', loc: at('country'), label: 'Country', required: true, options: countryOptions(), value: 'GB', attrs: { autocomplete: 'country' } }));
}

export function paymentFields(prefix = 'payment') {
  return h('fieldset', { class: 'stack', dataset: { loc: prefix } },
    h('legend', {}, 'Payment'),
    forms.field({
      name: 'token', loc: `${prefix}.token`, label: 'Card token (sandbox)', required: true,
      hint: 'This shop takes test payments only. Enter tok_visa (authorised), tok_declined (declined) or tok_error (fails twice, then is authorised).',
      attrs: { autocomplete: 'off', spellcheck: 'false', placeholder: 'tok_visa' },
    }));
}

export function readAddress(form) {
  const address = {
    name: forms.text(form, 'name'),
    line1: forms.text(form, 'line1'),
    city: forms.text(form, 'city'),
    postcode: forms.text(form, 'postcode'),
    country: forms.text(form, 'country'),
  };
  const line2 = forms.text(form, 'line2');
  if (line2) address.line2 = line2;
  return address;
}

function summary(lines) {
  return h('section', { class: 'panel order-summary', 'aria-labelledby': 'summary-title' },
    h('h2', { id: 'summary-title' }, 'Your order'),
    h('ul', { class: 'summary-lines' }, lines.map((line, index) => h('li', { dataset: { loc: `lines.${index}`, fieldLoc: `lines.${index}` } },
      h('span', { class: 'summary-lines__title' }, `${line.quantity} × ${line.title}`),
      optionText(line.options).map((t) => h('span', { class: 'summary-lines__option' }, t)),
      h('span', { class: 'summary-lines__price' }, fmt.money(lineTotal(line)))))),
    h('p', { class: 'basket-summary__total' }, 'Items ', h('strong', {}, fmt.money(basketTotal(lines)))),
    h('div', { class: 'delivery-slot', 'aria-live': 'polite' }),
    h('p', { class: 'muted' }, 'The final price is confirmed by the marketplace when you place the order.'),
    h('p', {}, h('a', { href: '/basket' }, 'Change your basket')));
}

// --- delivery: each maker's shipping and dates, priced for the address as it is filled in ---

const ADDRESS_FIELDS = ['name', 'line1', 'city', 'postcode'];
// Until the address is complete, delivery is priced to its country (only the country's zone
// matters to the price) with these stand-ins for the lines not yet typed.
const STAND_IN = { name: 'Checkout estimate', line1: '1 Estimate Street', city: 'London', postcode: 'SW1A 1AA' };

/** Where to price delivery to: a saved address chosen, else the address typed in so far. */
function deliveryAddress(form) {
  const saved = form.querySelector('[name="shipping_address_id"]:checked, select[name="shipping_address_id"]');
  if (saved?.value) return saved.value;
  const typed = readAddress(form);
  if (ADDRESS_FIELDS.every((name) => typed[name])) return typed;
  return { ...STAND_IN, country: typed.country || 'GB' };
}

/** Price delivery now and whenever the address changes; the newest answer wins. */
function priceDeliveryOnChange(form, signal) {
  const slot = form.querySelector('.delivery-slot');
  let asked = 0;
  const price = async () => {
    const mine = ++asked;
    let block;
    try {
      block = quoteSummary(await quoteFor(basket.orderLines(), deliveryAddress(form), signal));
    } catch (error) {
      if (error?.name === 'AbortError') return;
      block = quoteProblem(error);
    }
    if (mine === asked) replace(slot, block);
  };
  form.addEventListener('change', (event) => {
    if (event.target.closest('[data-loc="shipping_address"]') || event.target.name === 'shipping_address_id') price();
  });
  price();
}

export async function render(ctx) {
  setTitle('Checkout');
  if (!requireRole(ctx, ['customer'], 'Checkout')) return;
  const lines = basket.lines();
  if (!lines.length) {
    replace(ctx.main, h('div', { class: 'page page--narrow' }, h('h1', {}, 'Checkout'),
      empty('Your basket is empty.', h('a', { href: '/search', class: 'button' }, 'Browse pieces'))));
    return;
  }

  const action = new api.IdempotentAction();
  const form = h('form', { class: 'checkout stack', 'aria-labelledby': 'checkout-title', novalidate: true },
    addressFields(),
    paymentFields(),
    forms.textarea({ name: 'gift_message', label: 'Gift message (optional)', rows: 3, hint: 'Printed on a card in the parcel.' }),
    summary(lines),
    h('button', { type: 'submit', class: 'button button--large' }, 'Place order'));

  // The address book: a saved address to pick, or a new one to keep for next time.
  const typed = form.querySelector('fieldset[data-loc="shipping_address"]');
  const addressBook = await savedAddressChoice(typed, { signal: ctx.signal });
  if (addressBook.block) typed.before(addressBook.block);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      lines: basket.orderLines(),
      ...(addressBook.choice() || { shipping_address: readAddress(form) }),
      payment: { token: forms.text(form, 'token') },
    };
    const gift = forms.text(form, 'gift_message');
    if (gift) body.gift_message = gift;
    const order = await forms.submitting(form, () => api.post('/orders', body, { idempotencyKey: action.keyFor(body) }), { busyLabel: 'Placing order…' });
    if (!order) return;
    action.done();
    basket.clear();
    if (body.shipping_address && (await addressBook.saveIfAsked(body.shipping_address)) instanceof Error) {
      toast('Your order is placed, but the address could not be saved to your address book.');
    }
    announce('Order placed');
    ctx.navigate(`/orders/${order.id}?placed=1`, { replace: true });
  });

  replace(ctx.main, h('div', { class: 'page page--narrow' },
    h('h1', { id: 'checkout-title' }, 'Checkout'),
    form));
  priceDeliveryOnChange(form, ctx.signal);
}
