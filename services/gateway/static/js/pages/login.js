// Sign in.

import * as session from '../core/session.js';
import { ApiError } from '../core/api.js';
import { signIn, homeFor, safeNext } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';

/** Sign in; a refusal of the email and password says so, rather than asking to sign in. */
async function signInInWords(email, password) {
  try {
    return await signIn(email, password);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    throw new ApiError(401, {
      code: error.code,
      title: 'We could not sign you in',
      detail: 'The email or password is not right. Check them and try again.',
    });
  }
}

export async function render({ main, query, navigate }) {
  setTitle('Sign in');
  const next = query.get('next');
  const current = session.user();
  const form = h('form', { class: 'stack', 'aria-labelledby': 'login-title', novalidate: true },
    forms.field({ name: 'email', label: 'Email', type: 'email', required: true, value: query.get('email') || '', attrs: { autocomplete: 'username' } }),
    forms.field({ name: 'password', label: 'Password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
    h('button', { type: 'submit', class: 'button' }, 'Sign in'),
    h('p', { class: 'sign-in-help' }, 'Forgot your password? ', h('a', { href: '/forgot-password' }, 'Choose a new one')));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const me = await forms.submitting(form, () => signInInWords(forms.text(form, 'email'), form.elements.namedItem('password').value), { busyLabel: 'Signing in…' });
    if (!me) return;
    toast(`Signed in as ${me.display_name || me.email}.`);
    navigate(safeNext(next, homeFor(me.role)), { replace: true });
  });

  replace(main, h('div', { class: 'page page--narrow' },
    h('h1', { id: 'login-title' }, 'Sign in'),
    current ? h('p', { class: 'notice' }, `You are signed in as ${current.email}. Signing in again replaces that session.`) : null,
    next ? h('p', {}, 'Please sign in to continue.') : null,
    form,
    h('p', {}, 'New here? ', h('a', { href: `/register${next ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Create an account'), ' — to buy, or to sell your work.')));
}
