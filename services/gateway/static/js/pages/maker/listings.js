// The maker's own listings: every state, with publish, pause and archive, and the editor.

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import { toast } from '../../core/live.js';
import { empty, errorBox, pieceImage, pill, section } from '../../components/ui.js';
import { photoImage, showablePhotos } from '../../components/photo.js';
import { renderEditor } from './listing-editor.js';

function actionButton(label, run, { danger = false, confirmText } = {}) {
  const button = h('button', { type: 'button', class: `button button--small${danger ? ' button--danger' : ' button--secondary'}` }, label);
  button.addEventListener('click', async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      button.disabled = false;
      button.closest('li')?.append(errorBox(error));
    }
  });
  return button;
}

function listingRow(listing, reload) {
  const [mainPhoto] = showablePhotos(listing);
  const act = (action, message) => async () => {
    await api.post(`/listings/${listing.id}/${action}`, {});
    toast(message);
    reload();
  };
  return h('li', { class: 'row-card listing-row', dataset: { listingId: listing.id, status: listing.status } },
    mainPhoto ? photoImage(mainPhoto, { sizes: '3.5rem', className: 'row-card__thumb' }) : pieceImage(null, '', 'row-card__thumb'),
    h('div', { class: 'row-card__link' },
      h('span', { class: 'row-card__title' }, listing.title || 'Untitled draft'),
      h('span', { class: 'row-card__meta' }, [fmt.money(listing.price), listing.availability ? fmt.availability(listing.availability) : null, listing.production?.kind ? fmt.production(listing.production.kind) : null].filter(Boolean).join(' · ')),
      (listing.hidden_by || []).length
        ? h('span', { class: 'row-card__meta', role: 'note' }, 'Hidden from customers: ', `${listing.hidden_by.map((reason) => reason.message).join('; ')}.`)
        : null),
    h('div', { class: 'row-card__side' },
      pill(listing.status, fmt.listingStatus(listing.status)),
      h('div', { class: 'row-actions' },
        listing.status !== 'archived' ? h('a', { class: 'button button--small button--secondary', href: `/maker?tab=listings&listing=${listing.id}` }, 'Edit', h('span', { class: 'visually-hidden' }, ` ${listing.title || 'draft'}`)) : null,
        ['draft', 'paused'].includes(listing.status) ? actionButton('Publish', act('publish', 'Published.')) : null,
        listing.status === 'published' ? actionButton('Pause', act('pause', 'Paused: hidden from customers.')) : null,
        listing.status !== 'archived' ? actionButton('Archive', act('archive', 'Archived.'), { danger: true, confirmText: 'Archive this listing for good?' }) : null,
        ['published', 'sold_out'].includes(listing.status) ? h('a', { href: `/listings/${listing.id}`, class: 'button button--small button--secondary' }, 'View') : null)));
}

async function listingsList(ctx, reload) {
  const items = await api.getAll('/listings/mine', {}, { signal: ctx.signal });
  if (!items.length) return empty('You have no listings yet.');
  return h('ul', { class: 'rows', 'aria-label': 'Your listings' }, items.map((l) => listingRow(l, reload)));
}

export async function renderListings(container, ctx, maker) {
  if (maker.status !== 'approved') {
    replace(container, h('h2', {}, 'Listings'), empty(maker.status === 'suspended'
      ? 'Your shop is suspended, so your pieces are hidden and you cannot publish. Contact the operations team.'
      : 'You can list pieces once your application is approved.'));
    return;
  }
  const editing = ctx.query.get('listing');
  if (editing) {
    const listing = editing === 'new' ? null : await api.get(`/listings/${encodeURIComponent(editing)}`, { signal: ctx.signal });
    renderEditor(container, {
      listing,
      maker,
      onSaved: (saved, { published }) => {
        if (published) ctx.navigate('/maker?tab=listings');
        else if (!listing) ctx.navigate(`/maker?tab=listings&listing=${saved.id}`, { replace: true });
      },
      onClose: () => ctx.navigate('/maker?tab=listings'),
    });
    return;
  }
  const listBox = h('div', {});
  const reload = () => section(listBox, () => listingsList(ctx, reload), 'Loading your listings…');
  replace(container,
    h('div', { class: 'section-head' }, h('h2', {}, 'Listings'), h('a', { href: '/maker?tab=listings&listing=new', class: 'button' }, 'New listing')),
    listBox);
  await reload();
}
