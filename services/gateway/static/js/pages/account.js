// A person's account: signing in (the address confirmed, sign out everywhere) and which emails we
// send them (everyone), and a customer's address book (add, delete), used at checkout.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { empty, section } from '../components/ui.js';
import { ADDRESSES, addressBlock, labelLines } from '../components/address-book.js';
import { emailPreferences } from '../components/email-preferences.js';
import { signIns } from '../components/sign-ins.js';
import { addressFields, readAddress } from './checkout.js';

function addressRow(address, reload) {
  const remove = h('button', {
    type: 'button',
    class: 'button button--secondary button--small',
    'aria-label': `Delete ${labelLines(address).slice(0, 2).join(', ')}`,
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api.request(`${ADDRESSES}/${address.id}`, { method: 'DELETE' });
        toast('Address deleted.');
      } catch {
        toast('The address could not be deleted. Please try again.', { kind: 'error' });
      }
      reload();
    },
  }, 'Delete');
  return h('li', { class: 'row-card', dataset: { addressId: address.id } }, addressBlock(address), h('span', { class: 'row-card__side' }, remove));
}

export async function render(ctx) {
  setTitle('Your account');
  const user = requireRole(ctx, ['customer', 'maker', 'operator'], 'Your account');
  if (!user) return;
  const preferences = emailPreferences(user, { signal: ctx.signal });
  const signingIn = signIns(user, ctx);
  if (user.role !== 'customer') {
    replace(ctx.main, h('div', { class: 'page page--narrow' }, h('h1', {}, 'Your account'), signingIn, preferences));
    return;
  }
  const listBox = h('div', {});
  const reload = () => section(listBox, async () => {
    const { items } = await api.get(ADDRESSES, { signal: ctx.signal });
    if (!items.length) return empty('You have no saved addresses. Add one below, or tick "Save this address" at checkout.');
    return h('ul', { class: 'rows', 'aria-label': 'Saved addresses' }, items.map((address) => addressRow(address, reload)));
  }, 'Loading your addresses…');

  const fields = addressFields('');
  fields.querySelector('legend').textContent = 'Add an address';
  const form = h('form', { class: 'stack', 'aria-label': 'Add an address', novalidate: true },
    fields, h('button', { type: 'submit', class: 'button' }, 'Save address'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await forms.submitting(form, () => api.post(ADDRESSES, readAddress(form)), { busyLabel: 'Saving…' });
    if (!saved) return;
    form.reset();
    toast('Address saved.');
    reload();
  });

  replace(ctx.main, h('div', { class: 'page page--narrow' },
    h('h1', {}, 'Your account'),
    h('section', { class: 'stack', 'aria-labelledby': 'address-book-title' },
      h('h2', { id: 'address-book-title' }, 'Address book'),
      listBox,
      form),
    signingIn,
    preferences));
  await reload();
}
