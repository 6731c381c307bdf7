// The signed-in person's notifications, newest first: each one's title, words and link, the
// unread ones marked, with "Mark as read" on each and "Mark all as read" for the lot. While
// the page is open the bell keeps counting; when its count rises the page offers to show
// what arrived rather than moving the list under the reader's pointer.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import { toast } from '../core/live.js';
import { NOTIFICATION_WORDS as WORDS } from '../core/messages.js';
import { setTitle } from '../core/router.js';
import { section } from '../components/ui.js';
import { refreshBell } from '../components/bell.js';
import { pagedList } from './orders.js';

const ROLES = ['customer', 'maker', 'operator'];

/** Mark one notification read; the row and the bell follow. False when it failed. */
async function markRead(notification, row) {
  try {
    await api.post(`/notifications/${notification.id}/read`);
  } catch {
    toast(WORDS.markFailed, { kind: 'error' });
    return false;
  }
  showRead(row);
  refreshBell();
  return true;
}

function showRead(row) {
  row.dataset.read = 'true';
  row.classList.remove('notification--unread');
  row.querySelector('[data-unread-mark]')?.remove();
  row.querySelector('[data-mark-read]')?.remove();
}

function notificationRow(notification) {
  const unread = !notification.read_at;
  const row = h('li', {
    class: `row-card notification${unread ? ' notification--unread' : ''}`,
    dataset: { notificationId: notification.id, kind: notification.kind, read: String(!unread) },
  });
  const title = notification.link
    ? h('a', {
      href: notification.link,
      class: 'row-card__title',
      // Following the link is reading it.
      onclick: () => { if (row.dataset.read !== 'true') markRead(notification, row); },
    }, notification.title)
    : h('span', { class: 'row-card__title' }, notification.title);
  const markButton = h('button', {
    type: 'button',
    class: 'button button--secondary button--small',
    dataset: { markRead: '' },
    'aria-label': `${WORDS.markRead}: ${notification.title}`,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      if (!await markRead(notification, row)) button.disabled = false;
    },
  }, WORDS.markRead);
  replace(row,
    h('div', { class: 'row-card__link' },
      title,
      notification.body ? h('span', { class: 'notification__body' }, notification.body) : null,
      h('span', { class: 'row-card__meta' }, h('time', { datetime: notification.created_at }, fmt.when(notification.created_at)))),
    unread ? h('span', { class: 'row-card__side' },
      h('span', { class: 'pill pill--wait', dataset: { unreadMark: '' } }, WORDS.unreadLabel),
      markButton) : null);
  return row;
}

export async function render(ctx) {
  setTitle(WORDS.title);
  if (!requireRole(ctx, ROLES, WORDS.title)) return;
  const { signal } = ctx;
  const notices = h('div', { 'aria-live': 'polite' });
  const listBox = h('div', {});
  let list = null;

  const markAll = h('button', {
    type: 'button',
    class: 'button button--secondary',
    dataset: { markAllRead: '' },
    onclick: async () => {
      markAll.disabled = true;
      try {
        await api.post('/notifications/read-all');
        listBox.querySelectorAll('[data-read="false"]').forEach(showRead);
        toast(WORDS.allRead);
        refreshBell();
      } catch {
        toast(WORDS.markFailed, { kind: 'error' });
      } finally {
        markAll.disabled = false;
      }
    },
  }, WORDS.markAllRead);

  const load = () => {
    replace(notices);
    list = pagedList((cursor) => api.get('/notifications', { query: { cursor, limit: 20 }, signal }), notificationRow,
      { emptyText: WORDS.empty, label: WORDS.title });
    return section(listBox, async () => { await list.first(); return list.box; }, WORDS.loading);
  };

  const onCount = (event) => {
    const { count, previous } = event.detail;
    if (previous === null || count === null || count <= previous || notices.childElementCount) return;
    replace(notices, h('p', { class: 'notice', dataset: { freshNotifications: '' } }, WORDS.fresh, ' ',
      h('button', { type: 'button', class: 'button button--small', onclick: load }, WORDS.showFresh)));
  };
  document.addEventListener('unread-count', onCount);
  // The router aborts the page's signal when the reader leaves, even mid-load.
  signal.addEventListener('abort', () => document.removeEventListener('unread-count', onCount), { once: true });

  replace(ctx.main, h('div', { class: 'page page--narrow' },
    h('h1', {}, WORDS.title),
    h('div', { class: 'actions' }, markAll, h('a', { href: '/account#email-preferences' }, WORDS.preferencesLink)),
    notices,
    listBox));
  await load();
}
