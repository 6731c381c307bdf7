// Create a customer or maker account, then sign straight in.

import * as api from '../core/api.js';
import { signIn, homeFor, safeNext } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';

export async function render({ main, query, navigate }) {
  setTitle('Create an account');
  const next = query.get('next');
  const role = query.get('role') === 'maker' ? 'maker' : 'customer';
  const form = h('form', { class: 'stack', 'aria-labelledby': 'register-title', novalidate: true },
    forms.radioGroup({
      legend: 'I want to', name: 'role', value: role,
      options: [['customer', 'Buy jewellery'], ['maker', 'Sell my work as a maker']],
    }),
    forms.field({ name: 'display_name', label: 'Your name', required: true, attrs: { autocomplete: 'name' } }),
    forms.field({ name: 'email', label: 'Email', type: 'email', required: true, attrs: { autocomplete: 'email' } }),
    forms.field({ name: 'password', label: 'Password', type: 'password', required: true, hint: 'At least 10 characters.', attrs: { autocomplete: 'new-password', minlength: 10 } }),
    h('button', { type: 'submit', class: 'button' }, 'Create account'));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      email: forms.text(form, 'email'),
      password: form.elements.namedItem('password').value,
      display_name: forms.text(form, 'display_name'),
      role: forms.radioValue(form, 'role') || 'customer',
    };
    const me = await forms.submitting(form, async () => {
      await api.post('/auth/register', body);
      return signIn(body.email, body.password);
    }, { busyLabel: 'Creating your account…' });
    if (!me) return;
    toast('Welcome! Your account is ready.');
    // A new maker goes straight to their application; a new customer back to shopping.
    navigate(safeNext(next, me.role === 'customer' ? '/' : homeFor(me.role)), { replace: true });
  });

  replace(main, h('div', { class: 'page page--narrow' },
    h('h1', { id: 'register-title' }, 'Create an account'),
    form,
    h('p', {}, 'Already registered? ', h('a', { href: `/login${next ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Sign in'))));
}
