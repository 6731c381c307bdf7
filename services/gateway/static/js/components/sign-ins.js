// The account's sign-in section on /account: whether the email address is confirmed (with a new
// link on request), and signing out on every device.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { signOutEverywhere } from '../core/auth.js';
import { h } from '../core/dom.js';
import { toast } from '../core/live.js';
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
    h('p', {}, 'Signed in on a computer or phone you no longer use? Sign out on all of them, this one too.'),
    h('p', {}, everywhere));
}
