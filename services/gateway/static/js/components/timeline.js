// A maker order's progress: the steps of its lifecycle, with the current one marked, and the
// dated entries of its timeline.

import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';

export const MAKER_ORDER_STEPS = ['awaiting_acceptance', 'in_production', 'quality_checked', 'dispatched', 'delivered'];
export const MAKER_ORDER_TERMINAL = new Set(['delivered', 'declined', 'cancelled']);

export function progress(status) {
  const index = MAKER_ORDER_STEPS.indexOf(status);
  const stopped = index === -1;
  return h('ol', { class: `steps${stopped ? ' steps--stopped' : ''}`, 'aria-label': 'Progress' },
    MAKER_ORDER_STEPS.map((step, i) => {
      const state = stopped ? 'todo' : i < index ? 'done' : i === index ? 'current' : 'todo';
      return h('li', { class: `steps__step steps__step--${state}`, 'aria-current': state === 'current' ? 'step' : null },
        h('span', { class: 'steps__label' }, fmt.makerOrderStatus(step)),
        h('span', { class: 'visually-hidden' }, state === 'done' ? ' (done)' : state === 'current' ? ' (current)' : ''));
    }),
    stopped ? h('li', { class: 'steps__step steps__step--stopped', 'aria-current': 'step' }, fmt.makerOrderStatus(status)) : null);
}

/** Dated entries [{at, status, note}], newest last. */
export function entries(timeline = []) {
  if (!timeline.length) return null;
  return h('ol', { class: 'timeline' }, timeline.map((entry) => h('li', { class: 'timeline__entry' },
    h('time', { datetime: entry.at }, fmt.when(entry.at)),
    ' ',
    h('span', { class: 'timeline__status' }, fmt.humanise(entry.status)),
    entry.note ? h('span', { class: 'timeline__note' }, ` — ${entry.note}`) : null)));
}
