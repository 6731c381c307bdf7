// Which emails a person wants (the account page): one box per category of email they can turn
// off, saved with PUT /notifications/preferences. Receipts, refunds and account emails are not
// offered: they are always sent, and the section says so.

import * as api from '../core/api.js';
import { h } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { NOTIFICATION_WORDS as WORDS } from '../core/messages.js';
import { section } from './ui.js';

const PATH = '/notifications/preferences';
// The categories that concern each role; the others are sent back as they were.
const CATEGORIES_BY_ROLE = {
  customer: ['order_updates', 'reviews', 'marketing'],
  maker: ['maker_orders', 'reviews', 'marketing'],
  operator: ['marketing'],
};

function preferencesForm(loaded, role) {
  let preferences = loaded;
  const categories = CATEGORIES_BY_ROLE[role] || CATEGORIES_BY_ROLE.customer;
  const form = h('form', { class: 'stack', 'aria-labelledby': 'email-preferences-title', novalidate: true, dataset: { emailPreferences: '' } },
    h('fieldset', {},
      h('legend', {}, WORDS.preferencesLegend),
      categories.map((name) => forms.checkbox({
        name,
        loc: `email.${name}`,
        label: WORDS.categories[name].label,
        hint: WORDS.categories[name].hint,
        checked: preferences.email?.[name] ?? true,
      }))),
    h('p', { class: 'field__hint' }, WORDS.alwaysSent),
    h('button', { type: 'submit', class: 'button' }, WORDS.savePreferences));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = { ...preferences.email };
    for (const name of categories) email[name] = forms.checked(form, name);
    const saved = await forms.submitting(form, () => api.put(PATH, { email }), { busyLabel: WORDS.saving });
    if (!saved) return;
    preferences = saved;
    toast(WORDS.preferencesSaved);
  });
  return form;
}

/** The "Emails we send you" section for the signed-in `user`. */
export function emailPreferences(user, { signal } = {}) {
  const box = h('div', {});
  section(box, async () => preferencesForm(await api.get(PATH, { signal }), user.role), WORDS.preferencesLoading);
  return h('section', { class: 'stack', id: 'email-preferences', 'aria-labelledby': 'email-preferences-title' },
    h('h2', { id: 'email-preferences-title' }, WORDS.preferencesTitle),
    box);
}
