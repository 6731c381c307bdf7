// The account's sign-in section on /account: whether the email address is confirmed (with a new
// link on request), changing it, and signing out on every device.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { reloadAccount, signOutEverywhere } from '../core/auth.js';
import { h } from '../core/dom.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { refresh } from '../core/router.js';
import { errorBox } from './ui.js';

/** "Send a new link", for a signed-in person whose address is not confirmed yet. */
export function resendButton() {
  const button = h('button', { type: 'button', class: 'button button--secondary button--small' }, 'Send a new link');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.post('/auth/verify-email/resend');
      toast(`We have sent a new link to ${session.user()?.email}.`);
    } catch (error) {
      button.replaceWith(errorBox(error));
    }
  });
  return button;
}

/** The new address and the current password; the new address then waits for its link. */
function emailChange() {
  const form = h('form', { class: 'stack', 'aria-label': 'Change your email address', novalidate: true },
    forms.field({ name: 'email', label: 'New email address', type: 'email', required: true, attrs: { autocomplete: 'email' } }),
    forms.field({ name: 'password', label: 'Current password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
    h('button', { type: 'submit', class: 'button button--secondary' }, 'Change email address'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { email: forms.text(form, 'email'), password: form.elements.namedItem('password').value };
    const account = await forms.submitting(form, () => api.post('/auth/email', body), { busyLabel: 'Changing…' });
    if (!account) return;
    await reloadAccount().catch(() => null);
    toast(`We have sent a link to ${account.email}: follow it to confirm the address.`);
    refresh();
  });
  return h('details', { class: 'email-change' }, h('summary', {}, 'Change your email address'), form);
}

export function signIns(user, { navigate }) {
  const everywhere = h('button', { type: 'button', class: 'button button--secondary' }, 'Sign out everywhere');
  everywhere.addEventListener('click', async () => {
    everywhere.disabled = true;
    try {
      await signOutEverywhere();
    } catch (error) {
      everywhere.disabled = false;
      everywhere.after(errorBox(error));
      return;
    }
    toast('You are signed out on every device.');
    navigate('/login', { replace: true });
  });
  const address = user.email_verified
    ? h('p', { dataset: { emailVerified: 'true' } }, `Your email address ${user.email} is confirmed.`)
    : h('p', { dataset: { emailVerified: 'false' } },
      `Your email address ${user.email} is not confirmed yet: follow the link in the email we sent you. `,
      resendButton());
  return h('section', { class: 'stack', 'aria-labelledby': 'sign-ins-title' },
    h('h2', { id: 'sign-ins-title' }, 'Signing in'),
    address,
    emailChange(),
    h('p', {}, 'Signed in on a computer or phone you no longer use? Sign out on all of them, this one too.'),
    h('p', {}, everywhere));
}
