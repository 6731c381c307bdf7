// Announcements for screen readers (a polite status region) and short visible toasts.

import { h } from './dom.js';

/** Tell assistive technology about something that happened without moving focus. */
export function announce(message) {
  const region = document.getElementById('status-region');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick makes screen readers read the same message twice in a row.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** A visible message that also goes to the live region around it. */
export function toast(message, { kind = 'info', timeoutMs = 5000 } = {}) {
  const region = document.getElementById('toast-region');
  if (!region) return;
  const item = h('p', { class: `toast toast--${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), timeoutMs);
}
