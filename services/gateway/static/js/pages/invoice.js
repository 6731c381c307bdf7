// One parcel's invoice, as the orders service renders it (the seller, the pieces with their metal
// and hallmark, shipping, totals, the VAT included for a VAT-registered maker, the legal
// statements), shown inside the storefront with a print button; printing leaves the site's
// header and footer out.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { h, replace } from '../core/dom.js';
import { setTitle } from '../core/router.js';

/** The invoice's own content: its <main>, parsed inert (no script runs) and adopted here. */
function invoiceContent(html) {
  const page = new DOMParser().parseFromString(html, 'text/html');
  const content = page.querySelector('main') || page.body;
  return [...content.childNodes].map((node) => document.importNode(node, true));
}

export async function render({ main, params, signal }) {
  const html = await api.getHtml(`/maker-orders/${encodeURIComponent(params.id)}/invoice`, { signal });
  const content = invoiceContent(html);
  const title = content.find((node) => node.nodeName === 'H1')?.textContent || 'Invoice';
  setTitle(title);
  const back = session.role() === 'customer' ? h('a', { href: '/orders' }, 'Your orders')
    : session.role() === 'maker' ? h('a', { href: '/maker?tab=orders' }, 'Your maker orders')
      : h('a', { href: '/ops?tab=orders' }, 'All orders');
  const print = h('button', { type: 'button', class: 'button button--secondary' }, 'Print or save as PDF');
  print.addEventListener('click', () => window.print());
  replace(main, h('div', { class: 'page page--narrow invoice-page' },
    h('p', { class: 'eyebrow' }, back),
    h('article', { class: 'invoice', 'aria-label': title }, content),
    h('div', { class: 'actions' }, print)));
}
