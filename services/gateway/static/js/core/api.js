// The API client: JSON in and out, the Bearer token added, problem+json turned into ApiError,
// Idempotency-Key sent on the writes that move money. The access token is renewed silently with
// the refresh token: shortly before it expires, or when a call is refused with 401 (the call is
// then sent once more with the new token). Concurrent calls share one renewal, and the tabs of
// the browser, which share the session, take turns under a Web Lock.

import * as session from './session.js';
import * as renewals from './renewals.js';
import { inWords } from './messages.js';

export const API_ROOT = '/api/v1';

/**
 * An error response (application/problem+json) or a network failure (status 0). Its title,
 * detail and errors' messages are in words for people (core/messages.js); the API's code stays
 * in `code` (and each error's), and the problem as sent in `problem`.
 */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    const words = inWords(status, problem);
    super(words.detail || words.title);
    this.name = 'ApiError';
    this.status = status;
    this.title = words.title;
    this.detail = words.detail;
    this.code = problem.code || null;
    this.errors = words.errors;
    this.problem = problem;
  }
}

/** A random UUID; crypto.randomUUID needs a secure context, so fall back to getRandomValues. */
export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One money-moving action (placing an order, accepting a quote). Re-sending the same body
 * reuses its key, so a retry after a lost response is replayed by the server rather than
 * charging twice; a changed body gets a fresh key.
 */
export class IdempotentAction {
  constructor() {
    this.key = null;
    this.body = null;
  }

  keyFor(body) {
    const json = JSON.stringify(body);
    if (json !== this.body) {
      this.key = newIdempotencyKey();
      this.body = json;
    }
    return this.key;
  }

  /** Forget the key once the action has succeeded, so a new action starts afresh. */
  done() {
    this.key = null;
    this.body = null;
  }
}

/** Build a query string from an object, leaving out empty values. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    for (const one of [value].flat()) search.append(name, String(one));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * request('/listings', {query, method, body, idempotencyKey, signal})
 * Resolves with the parsed JSON (null for an empty body); rejects with ApiError.
 */
export async function request(path, { method = 'GET', query, body, idempotencyKey, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const response = await authorised(headers, () => fetch(API_ROOT + path + queryString(query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    credentials: 'omit',
    cache: 'no-store',
  }));
  const data = await readBody(response);
  if (response.ok) return data;
  throw failure(response.status, data, headers.Authorization);
}

/**
 * Send a call with the freshest access token in `headers`; refused with 401 while a refresh
 * token is held, renew and send it once more. Resolves with the Response (or what `send` gives).
 */
async function authorised(headers, send) {
  const used = await freshToken();
  if (used) headers.Authorization = `Bearer ${used}`;
  const response = await sent(send);
  if (response.status !== 401 || !used || !session.refreshToken()) return response;
  const renewed = await renewedSince(used);
  if (!renewed) return response;
  headers.Authorization = `Bearer ${renewed}`;
  return sent(send);
}

async function sent(send) {
  try {
    return await send();
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'Check your connection and try again.' });
  }
}

/** The access token to send: renewed first when it is about to expire. */
async function freshToken() {
  if (session.tokenDueForRenewal()) return (await renewSession()) || session.token();
  return session.token();
}

/** A token newer than `used`: another call's renewal may already have brought one. */
async function renewedSince(used) {
  const now = session.token();
  if (now && now !== used) return now;
  return renewSession();
}

let renewal = null;
// The browser-wide lock the tabs take turns under to spend their shared refresh token.
const RENEWAL_LOCK = 'marketplace-refresh';

/**
 * Spend the refresh token for new tokens; every caller meanwhile waits on the same renewal (a
 * refresh token is single use). Resolves with the new access token, or null: when the sign-in
 * is over (the session ends and `session-expired` is announced) or the network failed.
 */
export function renewSession() {
  if (!renewal) renewal = renewOnce().finally(() => { renewal = null; });
  return renewal;
}

/**
 * One renewal for the whole browser: the tabs hold the same refresh token, and the one that
 * waited for the lock finds it already spent and takes the tokens the other tab brought.
 * Without Web Locks (an insecure context) the tab renews alone, as it would with one tab.
 */
async function renewOnce() {
  const held = session.refreshToken();
  if (!held) return null;
  if (!navigator.locks) return renew(held);
  return navigator.locks.request(RENEWAL_LOCK, async () => {
    const now = session.current();
    if (!now?.refreshToken) return null; // signed out meanwhile
    if (now.refreshToken !== held) return now.token;
    // This tab's copy of localStorage may not show another tab's renewal yet: IndexedDB does.
    const successor = await renewals.successorOf(held).catch(() => null);
    if (successor) return session.renew(held, successor) ? successor.token : null;
    return renew(held);
  });
}

async function renew(refreshToken) {
  let response;
  try {
    response = await fetch(`${API_ROOT}/auth/refresh`, {
      method: 'POST',
      headers: { Accept: 'application/json, application/problem+json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    return null;
  }
  const data = await readBody(response);
  if (response.ok) {
    const tokens = {
      token: data.access_token,
      expiresIn: data.expires_in,
      refreshToken: data.refresh_token,
      refreshExpiresIn: data.refresh_expires_in,
    };
    if (!session.renew(refreshToken, tokens)) return null;
    // Recorded before the lock is released, for the tab that takes it next.
    await renewals.record(refreshToken, tokens).catch(() => {});
    return tokens.token;
  }
  // Refused (spent, revoked or expired): this sign-in is over. Anything else (the gateway busy
  // or down): keep the session and let the call fail as it did.
  if (response.status === 401 && session.refreshToken() === refreshToken) endSession();
  return null;
}

function endSession() {
  session.end();
  window.dispatchEvent(new CustomEvent('session-expired'));
}

/** The ApiError for a refused call; a token refused even after renewal ends the session. */
function failure(status, data, authorization) {
  if (status === 401 && authorization && session.current()) endSession();
  // Refused as a whole rather than for this call's own sake: the page says so (app.js).
  if (status === 429 || status === 503) window.dispatchEvent(new CustomEvent('api-refused', { detail: { status } }));
  return new ApiError(status, data && typeof data === 'object' ? data : {});
}

/**
 * upload('/images', formData, {onProgress, signal}): a multipart POST through XMLHttpRequest,
 * because fetch cannot report how much of the body has been sent. onProgress(fraction 0–1).
 * Resolves with the parsed JSON; rejects with ApiError, or an AbortError when cancelled.
 */
export async function upload(path, formData, { onProgress, signal } = {}) {
  const headers = {};
  const response = await authorised(headers, () => xhrPost(path, formData, headers.Authorization, { onProgress, signal }));
  if (response.ok) return response.data;
  throw failure(response.status, response.data, headers.Authorization);
}

/** The upload itself: resolves with {ok, status, data}; network failures and aborts reject. */
function xhrPost(path, formData, authorization, { onProgress, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API_ROOT + path);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    if (authorization) xhr.setRequestHeader('Authorization', authorization);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const type = xhr.getResponseHeader('Content-Type') || '';
      let data = null;
      if (type.includes('json')) {
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = null;
        }
      }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data });
    });
    xhr.addEventListener('error', () => reject(new TypeError('network error')));
    xhr.addEventListener('abort', () => reject(new DOMException('The upload was cancelled', 'AbortError')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(formData);
  });
}

/**
 * getHtml('/maker-orders/ID/invoice', {signal}): a page the API renders as HTML (an invoice), as
 * its text. Rejects with ApiError like request.
 */
export async function getHtml(path, { signal } = {}) {
  return getText(API_ROOT + path, 'text/html', signal);
}

/** A CSV document (a maker's statement) as text; refusals as ApiError, like every call. */
export async function getCsv(path, { query, signal } = {}) {
  return getText(API_ROOT + path + queryString(query), 'text/csv', signal);
}

async function getText(url, type, signal) {
  const headers = { Accept: `${type}, application/problem+json` };
  const response = await authorised(headers, () => fetch(url, { headers, signal, credentials: 'omit', cache: 'no-store' }));
  if (response.ok) return response.text();
  throw failure(response.status, await readBody(response), headers.Authorization);
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }
  return { detail: text.slice(0, 300) };
}

export const get = (path, options = {}) => request(path, { ...options, method: 'GET' });
export const post = (path, body, options = {}) => request(path, { ...options, method: 'POST', body });
export const patch = (path, body, options = {}) => request(path, { ...options, method: 'PATCH', body });
export const put = (path, body, options = {}) => request(path, { ...options, method: 'PUT', body });

/** Read every page of a list endpoint (bounded, for small lists such as a maker's own). */
export async function getAll(path, query = {}, { maxPages = 10, signal } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await get(path, { query: { ...query, limit: 100, cursor }, signal });
    items.push(...(result?.items || []));
    cursor = result?.next_cursor;
    if (!cursor) break;
  }
  return items;
}
