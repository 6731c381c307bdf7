// /maker: the maker's dashboard. ?tab= picks the section (application, listings, shipping,
// orders, returns, payouts, commissions, reviews), so each is deep-linkable.

import * as api from '../../core/api.js';
import { requireRole } from '../../core/auth.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import { setTitle } from '../../core/router.js';
import { pill, tabs } from '../../components/ui.js';
import { renderApplication } from './application.js';
import { renderListings } from './listings.js';
import { renderMakerOrders } from './maker-orders.js';
import { renderPayouts } from './payouts.js';
import { renderQuotes } from './quotes.js';
import { renderReturns } from './returns.js';
import { renderShipping } from './shipping.js';
import { makerReviews } from '../../components/reviews.js';

const TABS = [
  { key: 'application', text: 'Application' },
  { key: 'listings', text: 'Listings' },
  { key: 'shipping', text: 'Shipping' },
  { key: 'orders', text: 'Orders' },
  { key: 'returns', text: 'Returns to receive' },
  { key: 'payouts', text: 'Payouts' },
  { key: 'commissions', text: 'Commissions' },
  { key: 'reviews', text: 'Reviews' },
];

// Once approved, the application is the maker's record, kept current there (record.js).
function tabText(t, maker) {
  const approved = maker.status === 'approved' || maker.status === 'suspended';
  return t.key === 'application' && approved ? 'Your record' : t.text;
}

async function myMaker(signal) {
  try {
    return await api.get('/makers/me', { signal });
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

export async function render(ctx) {
  setTitle('Maker dashboard');
  if (!requireRole(ctx, ['maker'], 'Maker dashboard')) return;
  const maker = await myMaker(ctx.signal);
  const approved = maker?.status === 'approved' || maker?.status === 'suspended';
  const tab = ctx.query.get('tab') || (approved ? 'orders' : 'application');
  const body = h('section', { class: 'dashboard__body', 'aria-live': 'off' });

  replace(ctx.main, h('div', { class: 'page dashboard' },
    h('div', { class: 'section-head' },
      h('h1', {}, maker ? maker.display_name : 'Maker dashboard'),
      maker ? pill(maker.status, fmt.makerStatus(maker.status)) : null),
    maker?.status === 'approved' ? h('p', {}, 'Your public page: ', h('a', { href: `/makers/${maker.handle}` }, `/makers/${maker.handle}`)) : null,
    maker ? tabs('Dashboard sections', TABS.map((t) => ({ ...t, text: tabText(t, maker), href: `/maker?tab=${t.key}` })), tab) : null,
    body));

  const onChange = () => ctx.refresh();
  if (!maker || tab === 'application') renderApplication(body, maker, onChange);
  else if (tab === 'listings') await renderListings(body, ctx, maker);
  else if (tab === 'shipping') await renderShipping(body, ctx, maker);
  else if (tab === 'orders') await renderMakerOrders(body, ctx, maker);
  else if (tab === 'returns') await renderReturns(body, ctx);
  else if (tab === 'payouts') await renderPayouts(body, ctx);
  else if (tab === 'commissions') await renderQuotes(body, ctx, maker);
  else if (tab === 'reviews') replace(body, h('h2', {}, 'Reviews of your pieces'), makerReviews(maker.id, maker.display_name));
  else renderApplication(body, maker, onChange);
}
