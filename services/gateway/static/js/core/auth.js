// Signing in and out, and the guard pages use to require a role.

import * as api from './api.js';
import * as session from './session.js';
import { h, replace } from './dom.js';
import { setTitle } from './router.js';

const HOME_BY_ROLE = { customer: '/orders', maker: '/maker', operator: '/ops' };

export function homeFor(role) {
  return HOME_BY_ROLE[role] || '/';
}

/** Exchange credentials for tokens, then learn who they belong to. */
export async function signIn(email, password) {
  const issued = await api.post('/auth/token', { email, password });
  const tokens = {
    token: issued.access_token,
    expiresIn: issued.expires_in,
    refreshToken: issued.refresh_token,
    refreshExpiresIn: issued.refresh_expires_in,
  };
  session.start({ ...tokens, user: null });
  try {
    const me = await api.get('/auth/me');
    session.setUser(me);
    return me;
  } catch (error) {
    session.end();
    throw error;
  }
}

/** Sign out of this sign-in: the page forgets it at once, and the gateway revokes it. */
export function signOut() {
  const refreshToken = session.refreshToken();
  session.end();
  if (refreshToken) {
    // keepalive: the revocation is sent even when the page is being left.
    fetch(`${api.API_ROOT}/auth/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
      credentials: 'omit',
      keepalive: true,
    }).catch(() => {});
  }
}

/** Sign out on every device: every sign-in of the account is revoked, this one too. */
export async function signOutEverywhere() {
  await api.post('/auth/logout-all');
  session.end();
}

/**
 * Re-read the account (after its address was verified, say) and take tokens that say so: the
 * access token carries `email_verified`, which services check without asking the gateway.
 */
export async function reloadAccount() {
  if (!session.user()) return null;
  await api.renewSession();
  const me = await api.get('/auth/me');
  session.setUser(me);
  return me;
}

/** Where to go after signing in: `next` when it is a path inside this site. */
export function safeNext(next, fallback) {
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/api/')) return next;
  return fallback;
}

/**
 * Returns the user when they hold one of `roles`; otherwise sends them to sign in, or explains
 * that the page is for another role, and returns null.
 */
export function requireRole(ctx, roles, what) {
  const user = session.user();
  if (!user) {
    const next = window.location.pathname + window.location.search;
    ctx.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    return null;
  }
  if (!roles.includes(user.role)) {
    setTitle(what);
    replace(ctx.main, h('section', { class: 'page page--narrow state' },
      h('h1', {}, what),
      h('p', {}, `This page is for ${roles.map((r) => `${r}s`).join(' and ')}. You are signed in as ${user.email} (${user.role}).`),
      h('p', {}, h('a', { href: homeFor(user.role), class: 'button' }, 'Go to your page'))));
    return null;
  }
  return user;
}
