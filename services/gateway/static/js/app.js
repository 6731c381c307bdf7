// The storefront's entry point: the routes, the header and the session's global events.

import { route, start, navigate, refresh } from './core/router.js';
import * as session from './core/session.js';
import * as basket from './core/basket.js';
import { h, replace } from './core/dom.js';
import { toast } from './core/live.js';
import { signOut } from './core/auth.js';
import { API_REFUSED } from './core/messages.js';
import { bellItem } from './components/bell.js';
import { offerSuggestions } from './components/suggest.js';

route('/', () => import('./pages/home.js'));
route('/search', () => import('./pages/search.js'));
route('/listings/:id', () => import('./pages/listing.js'));
route('/makers/:handle', () => import('./pages/maker-profile.js'));
route('/basket', () => import('./pages/basket.js'));
route('/checkout', () => import('./pages/checkout.js'));
route('/orders', () => import('./pages/orders.js'));
route('/account', () => import('./pages/account.js'));
route('/orders/:id', () => import('./pages/order.js'));
route('/invoices/:id', () => import('./pages/invoice.js'));
route('/commissions', () => import('./pages/commissions.js'));
route('/commissions/:id', () => import('./pages/commission.js'));
route('/login', () => import('./pages/login.js'));
route('/register', () => import('./pages/register.js'));
route('/verify-email', () => import('./pages/verify-email.js'));
route('/forgot-password', () => import('./pages/forgot-password.js'));
route('/reset-password', () => import('./pages/reset-password.js'));
route('/maker', () => import('./pages/maker/dashboard.js'));
route('/ops', () => import('./pages/ops.js'));
route('/notifications', () => import('./pages/notifications.js'));
route('/favourites', () => import('./pages/favourites.js'));
route('/messages', () => import('./pages/messages.js'));
route('/messages/:id', () => import('./pages/messages.js'));

function navLink(href, label, extra = {}) {
  const current = window.location.pathname === href
    || (href !== '/' && window.location.pathname.startsWith(`${href}/`));
  return h('li', {}, h('a', { href, 'aria-current': current ? 'page' : null, ...extra }, label));
}

function renderNav() {
  const user = session.user();
  const count = basket.count();
  const items = [navLink('/search', 'Browse')];
  if (!user || user.role === 'customer') {
    items.push(navLink('/basket', ['Basket',
      h('span', { class: 'badge', 'aria-hidden': 'true' }, String(count)),
      h('span', { class: 'visually-hidden' }, `, ${count} item${count === 1 ? '' : 's'}`)]));
  }
  if (user?.role === 'customer') items.push(navLink('/orders', 'Orders'), navLink('/favourites', 'Favourites'), navLink('/account', 'Account'));
  if (user?.role === 'maker') items.push(navLink('/maker', 'Maker dashboard'));
  if (user?.role === 'customer' || user?.role === 'maker') items.push(navLink('/messages', 'Messages'));
  if (user?.role === 'operator') items.push(navLink('/ops', 'Operations'));
  if (user) {
    items.push(bellItem());
    items.push(h('li', { class: 'site-nav__user' },
      h('span', { class: 'site-nav__who' }, user.display_name || user.email),
      h('button', { type: 'button', class: 'link-button', onclick: onSignOut }, 'Sign out')));
  } else {
    items.push(navLink('/login', 'Sign in'));
    items.push(navLink('/register', 'Register'));
  }
  replace(document.getElementById('site-nav-links'), items);
}

function onSignOut() {
  signOut();
  toast('You are signed out.');
  navigate('/');
}

function wireHeaderSearch() {
  const form = document.querySelector('[data-header-search]');
  offerSuggestions(form.elements.namedItem('q'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = form.elements.namedItem('q').value.trim();
    navigate(q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  });
  document.addEventListener('route-change', () => {
    const params = new URLSearchParams(window.location.search);
    if (window.location.pathname === '/search') form.elements.namedItem('q').value = params.get('q') || '';
  });
}

session.onChange(renderNav);
// Signed out, or in as someone else, in another tab: this page may show what is no longer
// theirs, so it is drawn again (a page for the signed-in sends them to sign in).
let shownFor = session.user()?.user_id ?? null;
session.onChange((user, { elsewhere }) => {
  const now = user?.user_id ?? null;
  if (elsewhere && shownFor && now !== shownFor) refresh();
  shownFor = now;
});
basket.onChange(renderNav);
document.addEventListener('route-change', renderNav);
window.addEventListener('session-expired', () => {
  toast('Your session has ended. Please sign in again.', { kind: 'warning' });
});

// One notice above the page while the API refuses this address (too busy, or a service down):
// the page shows what it could, and says why the rest is missing. A new page starts without it.
function showApiRefused(event) {
  const sentence = API_REFUSED[event.detail.status];
  let notice = document.querySelector('[data-api-refused]');
  if (!notice) {
    notice = h('p', { class: 'notice api-refused', role: 'status', dataset: { apiRefused: '' } });
    document.getElementById('main').before(notice);
  }
  notice.dataset.apiRefused = String(event.detail.status);
  notice.textContent = sentence;
}
window.addEventListener('api-refused', showApiRefused);
document.addEventListener('route-change', () => document.querySelector('[data-api-refused]')?.remove());

wireHeaderSearch();
renderNav();
start();
