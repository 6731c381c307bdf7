// The signed-in user: the access token, the refresh token that renews it, and who they belong
// to, kept in sessionStorage so they die with the tab and are never shared with another one
// (two tabs holding one refresh token would spend it twice, which ends the sign-in).

const KEY = 'market.session';
const listeners = new Set();

function read() {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function write(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
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
    sessionStorage.removeItem(KEY);
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

/** New tokens for the same person (a refresh): who they are stays. */
export function renew({ token: accessToken, expiresIn, refreshToken: refresh, refreshExpiresIn }) {
  const session = read();
  if (!session) return;
  write({ ...session, token: accessToken, refreshToken: refresh, ...lifetimes({ expiresIn, refreshExpiresIn }) });
}

/** What the account says now (after verifying the address, say). */
export function setUser(who) {
  const session = read();
  if (!session) return;
  write({ ...session, user: who });
  notify();
}

export function end() {
  sessionStorage.removeItem(KEY);
  notify();
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const listener of listeners) listener(user());
}
