// The customer's address book, as checkout and the account page use it: an address as one
// would write it on a label, and checkout's choice between a saved address and a new one
// (which may be saved for next time).

import * as api from '../core/api.js';
import { h, uid } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';

export const ADDRESSES = '/me/addresses';

/** The address's lines as a label has them, the country by its name. */
export function labelLines(address) {
  if (!address) return [];
  return [address.name, address.line1, address.line2, address.city, address.postcode, fmt.country(address.country)]
    .filter(Boolean);
}

/** The address on a label: one line each. */
export function addressBlock(address, attrs = {}) {
  return h('address', { class: 'address-label', ...attrs }, labelLines(address).flatMap((text, i) => (i ? [h('br'), text] : [text])));
}

// The radio of a new address: no id (checkout's delivery pricing reads the checked radio too).
const NEW = '';

/**
 * Checkout's saved addresses: a radio for each and one for a new address. Choosing a saved one
 * hides (and disables) the new-address fieldset `typed`. `choice()` is the part of the order's
 * body that names the address; `saveIfAsked(address)` keeps a new one when the box is ticked.
 */
export async function savedAddressChoice(typed, { signal } = {}) {
  let saved = [];
  try {
    saved = (await api.get(ADDRESSES, { signal }))?.items || [];
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    saved = []; // the address book is a convenience: checkout goes on with a typed address
  }
  const keep = forms.checkbox({ name: 'save_address', label: 'Save this address for next time' });
  typed.append(keep);
  if (!saved.length) {
    return { block: null, choice: () => null, saveIfAsked: (address) => saveIfAsked(keep, address) };
  }
  const block = h('fieldset', { class: 'field field--group saved-addresses', dataset: { loc: 'shipping_address_id', fieldLoc: 'shipping_address_id' } },
    h('legend', {}, 'Deliver to'),
    h('div', { class: 'check-list' },
      saved.map((address) => option(address.id, labelLines(address).join(', '))),
      option(NEW, 'A new address')));
  const radios = [...block.querySelectorAll('input[type="radio"]')];
  radios[0].checked = true;
  const show = () => {
    const useNew = current() === NEW;
    typed.hidden = !useNew;
    // Each control itself, so the required ones of a hidden form are not asked for.
    typed.querySelectorAll('input, select, textarea').forEach((control) => { control.disabled = !useNew; });
  };
  const current = () => radios.find((r) => r.checked)?.value;
  radios.forEach((r) => r.addEventListener('change', show));
  show();
  return {
    block,
    choice: () => (current() === NEW ? null : { shipping_address_id: current() }),
    saveIfAsked: (address) => (current() === NEW ? saveIfAsked(keep, address) : null),
  };
}

function option(value, label) {
  const id = uid('address');
  return h('span', { class: 'check-list__item' },
    h('input', { id, type: 'radio', name: 'shipping_address_id', value }),
    h('label', { for: id }, label));
}

async function saveIfAsked(keep, address) {
  if (!keep.querySelector('input').checked) return null;
  try {
    return await api.post(ADDRESSES, address);
  } catch (error) {
    return error; // the order is placed either way; the caller says the address was not kept
  }
}
