// Choose a new password: the page the link in the reset email opens (/reset-password?token=…).
// Every sign-in of the account ends, this tab's too, so the person signs in afresh.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { h, replace } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';

export async function render({ main, query, navigate }) {
  setTitle('Choose a new password');
  const token = query.get('token');
  const page = h('div', { class: 'page page--narrow' }, h('h1', { id: 'reset-title' }, 'Choose a new password'));
  replace(main, page);
  if (!token) {
    page.append(h('p', {}, 'Open the link in the email we sent you, or ', h('a', { href: '/forgot-password' }, 'ask for a new link'), '.'));
    return;
  }
  const form = h('form', { class: 'stack', 'aria-labelledby': 'reset-title', novalidate: true },
    forms.field({ name: 'password', label: 'New password', type: 'password', required: true, hint: 'At least 10 characters.', attrs: { autocomplete: 'new-password', minlength: 10 } }),
    h('button', { type: 'submit', class: 'button' }, 'Save the new password'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = form.elements.namedItem('password').value;
    const account = await forms.submitting(form, () => api.post('/auth/password-reset/confirm', { token, password }), { busyLabel: 'Saving…' });
    if (!account) return;
    session.end();
    toast('Your password is changed. Sign in with it.');
    navigate(`/login?email=${encodeURIComponent(account.email)}`, { replace: true });
  });
  page.append(form, h('p', {}, 'Link not working? ', h('a', { href: '/forgot-password' }, 'Ask for a new link'), '.'));
}
