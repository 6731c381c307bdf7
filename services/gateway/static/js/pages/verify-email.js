// Confirm an email address: the page the link in the verification email opens
// (/verify-email?token=…). It spends the token once; a signed-in person then gets tokens that
// say the address is confirmed (a maker may submit their application).

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { homeFor, reloadAccount } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import { setTitle } from '../core/router.js';
import { errorBox, loading } from '../components/ui.js';
import { resendButton } from '../components/sign-ins.js';

export async function render({ main, query }) {
  setTitle('Confirm your email address');
  const token = query.get('token');
  const page = h('section', { class: 'page page--narrow state' }, h('h1', {}, 'Confirm your email address'));
  replace(main, page);
  if (!token) {
    page.append(h('p', {}, 'Open the link in the email we sent you when you registered.'));
    return;
  }
  page.append(loading('Confirming your email address…'));
  let account;
  try {
    account = await api.post('/auth/verify-email', { token });
  } catch (error) {
    page.lastChild.replaceWith(errorBox(error));
    const user = session.user();
    if (user && !user.email_verified) page.append(h('p', {}, resendButton()));
    return;
  }
  const user = session.user();
  if (user?.user_id === account.user_id) await reloadAccount().catch(() => null);
  page.lastChild.replaceWith(h('p', { role: 'status', dataset: { verified: '' } },
    `Thank you: ${account.email} is confirmed.`));
  page.append(h('p', {}, user
    ? h('a', { href: homeFor(user.role), class: 'button' }, 'Continue')
    : h('a', { href: '/login', class: 'button' }, 'Sign in')));
}
