// Forgot your password: ask for a reset link by email. The answer is the same whether or not an
// account uses the address, so the page never says which.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { setTitle } from '../core/router.js';

export async function render({ main, query }) {
  setTitle('Reset your password');
  const form = h('form', { class: 'stack', 'aria-labelledby': 'forgot-title', novalidate: true },
    h('p', {}, 'Enter the email address you signed up with. We will email you a link to choose a new password.'),
    forms.field({ name: 'email', label: 'Email', type: 'email', required: true, value: query.get('email') || '', attrs: { autocomplete: 'username' } }),
    h('button', { type: 'submit', class: 'button' }, 'Email me a link'));
  const page = h('div', { class: 'page page--narrow' }, h('h1', { id: 'forgot-title' }, 'Reset your password'), form);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = forms.text(form, 'email');
    const sent = await forms.submitting(form, () => api.post('/auth/password-reset', { email }).then(() => true), { busyLabel: 'Sending…' });
    if (!sent) return;
    form.replaceWith(h('div', { class: 'stack', role: 'status', dataset: { resetRequested: '' } },
      h('p', {}, `If an account uses ${email}, we have emailed it a link to choose a new password. The link works for an hour.`),
      h('p', {}, 'No email? Check your spam folder, or ', h('a', { href: `/forgot-password?email=${encodeURIComponent(email)}` }, 'ask again'), '.')));
  });

  replace(main, page);
}
