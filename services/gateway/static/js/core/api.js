// The API client: JSON in and out, the Bearer token added, problem+json turned into ApiError,
// Idempotency-Key sent on the writes that move money.

import * as session from './session.js';
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
  const accessToken = session.token();
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;

  let response;
  try {
    response = await fetch(API_ROOT + path + queryString(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'Check your connection and try again.' });
  }

  const data = await readBody(response);
  if (response.ok) return data;
  throw failure(response.status, data, accessToken);
}

/** The ApiError for a refused call; a refused token ends the session. */
function failure(status, data, accessToken) {
  if (status === 401 && accessToken) {
    session.end();
    window.dispatchEvent(new CustomEvent('session-expired'));
  }
  // Refused as a whole rather than for this call's own sake: the page says so (app.js).
  if (status === 429 || status === 503) window.dispatchEvent(new CustomEvent('api-refused', { detail: { status } }));
  return new ApiError(status, data && typeof data === 'object' ? data : {});
}

/**
 * upload('/images', formData, {onProgress, signal}): a multipart POST through XMLHttpRequest,
 * because fetch cannot report how much of the body has been sent. onProgress(fraction 0–1).
 * Resolves with the parsed JSON; rejects with ApiError, or an AbortError when cancelled.
 */
export function upload(path, formData, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const accessToken = session.token();
    xhr.open('POST', API_ROOT + path);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
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
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(failure(xhr.status, data, accessToken));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { detail: 'Check your connection and try again.' })));
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
  const headers = { Accept: 'text/html, application/problem+json' };
  const accessToken = session.token();
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(API_ROOT + path, { headers, signal, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'Check your connection and try again.' });
  }
  if (response.ok) return response.text();
  throw failure(response.status, await readBody(response), accessToken);
}

/** A CSV document (a maker's statement) as text; refusals as ApiError, like every call. */
export async function getCsv(path, { query, signal } = {}) {
  const headers = { Accept: 'text/csv, application/problem+json' };
  const accessToken = session.token();
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(API_ROOT + path + queryString(query), { headers, signal, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'Check your connection and try again.' });
  }
  if (response.ok) return response.text();
  throw failure(response.status, await readBody(response), accessToken);
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
