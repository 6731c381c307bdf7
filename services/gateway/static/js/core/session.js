// The signed-in user: the access token, the refresh token that renews it, and who they belong
// to, kept in localStorage: one sign-in per browser, shared by its tabs and outliving them for
// as long as the refresh token lasts. The tabs share one single-use refresh token, so they take
// turns renewing it (api.js, under a Web Lock); signing in or out in one tab reaches the others
// through the `storage` event.

import * as renewals from './renewals.js';

const KEY = 'market.session';
const listeners = new Set();

function parse(raw) {
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function read() {
  return parse(localStorage.getItem(KEY));
}

function write(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

/**
 * The current session {token, expiresAt, lifetimeMs, refreshToken, refreshExpiresAt, user:
 * {user_id, email, role, display_name, email_verified}} or null. It lasts while its access
 * token does, or while its refresh token does when it has one (api.js renews the access token).
 */
export function current() {
  const session = read();
  if (!session) return null;
  const lastsUntil = session.refreshToken ? session.refreshExpiresAt : session.expiresAt;
  if (lastsUntil && Date.now() >= lastsUntil) {
    localStorage.removeItem(KEY);
    return null;
  }
  return session;
}

export function token() {
  return current()?.token ?? null;
}

export function refreshToken() {
  return current()?.refreshToken ?? null;
}

/** Whether the access token has expired, or will within its last quarter (30 s at most). */
export function tokenDueForRenewal() {
  const session = current();
  if (!session?.refreshToken || !session.expiresAt) return false;
  const margin = Math.min(30_000, (session.lifetimeMs || 0) / 4);
  return Date.now() >= session.expiresAt - margin;
}

export function user() {
  return current()?.user ?? null;
}

export function role() {
  return user()?.role ?? null;
}

function lifetimes({ expiresIn, refreshExpiresIn }) {
  const now = Date.now();
  return {
    expiresAt: expiresIn ? now + expiresIn * 1000 : null,
    lifetimeMs: expiresIn ? expiresIn * 1000 : null,
    refreshExpiresAt: refreshExpiresIn ? now + refreshExpiresIn * 1000 : null,
  };
}

export function start({ token: accessToken, expiresIn, refreshToken: refresh = null, refreshExpiresIn, user: who }) {
  write({ token: accessToken, refreshToken: refresh, ...lifetimes({ expiresIn, refreshExpiresIn }), user: who });
  notify();
}

/**
 * New tokens for the same person (a refresh of `spent`): who they are stays. Dropped (false)
 * when the session no longer holds `spent`: signed out, or in again, while the refresh was out.
 */
export function renew(spent, { token: accessToken, expiresIn, refreshToken: refresh, refreshExpiresIn }) {
  const session = read();
  if (!session || session.refreshToken !== spent) return false;
  write({ ...session, token: accessToken, refreshToken: refresh, ...lifetimes({ expiresIn, refreshExpiresIn }) });
  return true;
}

/** What the account says now (after verifying the address, say). */
export function setUser(who) {
  const session = read();
  if (!session) return;
  write({ ...session, user: who });
  notify();
}

export function end() {
  localStorage.removeItem(KEY);
  renewals.forget().catch(() => {});
  notify();
}

/**
 * onChange((user, {elsewhere}) => ...): after signing in or out, or a change to who they are;
 * `elsewhere` when it happened in another tab. A renewal alone (new tokens, same person) is no
 * change.
 */
export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify({ elsewhere = false } = {}) {
  const who = user();
  for (const listener of listeners) listener(who, { elsewhere });
}

// Another tab wrote the session.
window.addEventListener('storage', (event) => {
  if (event.storageArea !== localStorage || event.key !== KEY) return;
  const before = parse(event.oldValue)?.user ?? null;
  const after = parse(event.newValue)?.user ?? null;
  if (JSON.stringify(before) !== JSON.stringify(after)) notify({ elsewhere: true });
});
