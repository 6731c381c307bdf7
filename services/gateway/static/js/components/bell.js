// The bell in the header: how many of the signed-in person's notifications are unread, kept
// current without reloading by a long poll of /notifications/unread-count.
//
// One request is open at a time: it names the count the page shows (`after`) and the server
// answers as soon as the count differs, or after `wait` seconds with the same count, so a new
// notification shows within a moment at the cost of one request every 25 s. The poll stops
// while the tab is hidden (nobody sees the bell; the next answer after it is shown again says
// at once whether the count changed) and after a failure waits longer each time (1 s, 2 s, 4 s
// … up to a minute), so an unreachable service is not hammered by every open tab.
//
// The element is made once and kept across the header's re-renders, so navigating never
// restarts the poll. Others learn of a change from the `unread-count` event on document.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { h, replace } from '../core/dom.js';
import { announce } from '../core/live.js';
import { NOTIFICATION_WORDS as WORDS } from '../core/messages.js';

const PATH = '/notifications/unread-count';
const WAIT_S = 25;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000, 60000];
// An answer with the same count sooner than this means the server did not hold the request
// (an older version, or a proxy in the way): pause as after a failure rather than spin.
const SHORTEST_HOLD_MS = 1000;

let known = null; // the count shown, null before the first answer
let run = null; // {controller} of the poll in progress

const SVG = 'http://www.w3.org/2000/svg';

/** The bell's shape: h() makes HTML elements, and an SVG is drawn only in its own namespace. */
function icon() {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [name, value] of Object.entries({ class: 'bell__icon', viewBox: '0 0 24 24', width: '22', height: '22', 'aria-hidden': 'true', focusable: 'false' })) {
    svg.setAttribute(name, value);
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z');
  svg.append(path);
  return svg;
}

const badge = h('span', { class: 'badge bell__count', 'aria-hidden': 'true', hidden: true });
const spoken = h('span', { class: 'visually-hidden' });
const link = h('a', { href: '/notifications', class: 'bell', dataset: { bell: '' } }, icon(), spoken, badge);
const item = h('li', { class: 'site-nav__bell' }, link);
show(null);

/** The header's list item holding the bell (the same element every time). */
export function bellItem() {
  if (window.location.pathname === '/notifications') link.setAttribute('aria-current', 'page');
  else link.removeAttribute('aria-current');
  return item;
}

/** Ask again now (after marking notifications read, say) instead of waiting for the poll. */
export function refreshBell() {
  stop();
  known = null;
  startIfWanted();
}

function show(count) {
  const previous = known;
  known = count;
  const unread = count ?? 0;
  badge.hidden = !unread;
  replace(badge, unread > 99 ? '99+' : String(unread));
  replace(spoken, count === null ? WORDS.bell : WORDS.bellUnread(unread));
  link.dataset.count = count === null ? '' : String(count);
  if (previous !== null && count !== null && count > previous) announce(WORDS.arrived(count));
  if (count !== previous) {
    document.dispatchEvent(new CustomEvent('unread-count', { detail: { count, previous } }));
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

async function poll({ controller }) {
  const { signal } = controller;
  let failures = 0;
  while (!signal.aborted) {
    const asked = Date.now();
    const after = known;
    try {
      const query = after === null ? {} : { wait: WAIT_S, after };
      const { count } = await api.get(PATH, { query, signal });
      if (signal.aborted) return;
      failures = 0;
      show(count);
      if (after !== null && count === after && Date.now() - asked < SHORTEST_HOLD_MS) {
        await pause(BACKOFF_MS.at(-1), signal);
      }
    } catch (error) {
      if (signal.aborted || error?.name === 'AbortError') return;
      const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures += 1;
      // Jitter, so the tabs of one person that failed together do not come back together.
      await pause(delay * (0.75 + Math.random() / 2), signal);
    }
  }
}

function startIfWanted() {
  if (run || !session.user() || document.hidden) return;
  run = { controller: new AbortController() };
  poll(run);
}

function stop() {
  run?.controller.abort();
  run = null;
}

session.onChange((user) => {
  if (user) {
    startIfWanted();
  } else {
    stop();
    show(null);
  }
});
document.addEventListener('visibilitychange', () => {
  if (document.hidden) stop();
  else startIfWanted();
});
startIfWanted();
