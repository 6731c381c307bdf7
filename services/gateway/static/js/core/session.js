// The signed-in user: the access token and who it belongs to, kept in sessionStorage so it
// dies with the tab and is never shared with another one.

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

/** The current session {token, expiresAt, user: {user_id, email, role, display_name}} or null. */
export function current() {
  const session = read();
  if (!session) return null;
  if (session.expiresAt && Date.now() >= session.expiresAt) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return session;
}

export function token() {
  return current()?.token ?? null;
}

export function user() {
  return current()?.user ?? null;
}

export function role() {
  return user()?.role ?? null;
}

export function start({ token: accessToken, expiresIn, user: who }) {
  const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
  sessionStorage.setItem(KEY, JSON.stringify({ token: accessToken, expiresAt, user: who }));
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
