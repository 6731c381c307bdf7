// A maker's public page: who they are, where they ship, their sourcing evidence, their pieces,
// and a form to request a bespoke commission when they take them.

import * as api from '../core/api.js';
import * as session from '../core/session.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import * as rings from '../core/ringsizes.js';
import { setTitle } from '../core/router.js';
import { listingGrid } from '../components/listing-card.js';
import { empty, section } from '../components/ui.js';
import { reviewsSection } from '../components/reviews.js';
import { location, sourcingClaims } from '../components/maker-card.js';
import { ratingLine } from '../components/rating.js';

function tomorrow() {
  const date = new Date();
  date.setDate(date.getDate() + 1);
  return date.toISOString().slice(0, 10);
}

function ringSizeSelect() {
  return forms.select({
    name: 'ring_size_mm', label: 'Ring size (if it is a ring)', placeholder: 'Not a ring / not sure yet',
    options: rings.RING_SIZES.map((s) => [s.mm, `UK ${s.uk} — ${rings.formatMm(s.mm)} (US ${rings.usSize(s.mm)})`]),
  });
}

function commissionForm(maker, navigate) {
  const user = session.user();
  const next = encodeURIComponent(window.location.pathname);
  if (!user) {
    return h('p', {}, h('a', { href: `/login?next=${next}` }, 'Sign in'), ' or ', h('a', { href: `/register?next=${next}` }, 'create a customer account'), ` to ask ${maker.display_name} for a bespoke piece.`);
  }
  if (user.role !== 'customer') return h('p', {}, 'Commissions are requested from a customer account.');

  const form = h('form', { class: 'stack', 'aria-labelledby': 'commission-title', novalidate: true },
    forms.textarea({ name: 'brief', label: 'Describe the piece you would like', required: true, rows: 5, hint: 'Metal, stones, style, who it is for — up to a few paragraphs.' }),
    forms.field({ name: 'budget', label: 'Your budget (£)', required: true, attrs: { inputmode: 'decimal', autocomplete: 'off' } }),
    ringSizeSelect(),
    forms.field({ name: 'deadline', label: 'Needed by', type: 'date', required: true, attrs: { min: tomorrow() } }),
    h('button', { type: 'submit', class: 'button' }, 'Send request'));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const budget = fmt.parseMajor(forms.text(form, 'budget'));
    if (budget === null || Number.isNaN(budget)) {
      forms.showErrors(form, new api.ApiError(422, { errors: [{ loc: ['budget'], msg: 'Enter an amount such as 250 or 250.50', code: 'budget_invalid' }] }));
      return;
    }
    const body = {
      maker_id: maker.id,
      brief: forms.text(form, 'brief'),
      budget: { amount: budget, currency: 'GBP' },
      deadline: forms.text(form, 'deadline') || null,
    };
    const size = forms.number(form, 'ring_size_mm');
    if (size !== null) body.ring_size_mm = rings.forOrder(size);
    const created = await forms.submitting(form, () => api.post('/commissions', body), { busyLabel: 'Sending…' });
    if (created) navigate(`/commissions/${created.id}`);
  });
  return form;
}

export async function render({ main, params, signal, navigate }) {
  const maker = await api.get(`/makers/by-handle/${encodeURIComponent(params.handle)}`, { signal });
  setTitle(maker.display_name);
  const pieces = h('div', {});
  // The maker's rating over all their pieces: from their record, else from their listings.
  const rated = h('p', { class: 'maker-page__rating' }, maker.rating ? ratingLine(maker.rating) : null);
  replace(main, h('div', { class: 'page maker-page' },
    h('header', { class: 'maker-page__header' },
      h('p', { class: 'eyebrow' }, 'Maker'),
      h('h1', {}, maker.display_name),
      h('p', { class: 'maker-card__meta' }, [location(maker), maker.joined_at ? `selling here since ${fmt.day(maker.joined_at)}` : null].filter(Boolean).join(' · ')),
      rated),
    h('div', { class: 'two-col' },
      h('section', { 'aria-labelledby': 'maker-about' },
        h('h2', { id: 'maker-about' }, 'About'),
        maker.bio ? maker.bio.split(/\n{2,}/).map((p) => h('p', {}, p)) : h('p', {}, 'This maker has not written a biography yet.'),
        maker.techniques?.length ? h('p', {}, h('strong', {}, 'Techniques: '), maker.techniques.join(', ')) : null,
        maker.shipping?.length ? h('p', { class: 'maker-page__shipping', dataset: { zones: maker.shipping.join(' ') } }, h('strong', {}, 'Ships to: '), `${fmt.shippingZones(maker.shipping)}.`) : null,
        maker.hallmarking ? h('p', {}, h('strong', {}, 'Hallmarking: '), `sponsor's mark ${maker.hallmarking.sponsor_mark}, registered with the ${fmt.assayOffice(maker.hallmarking.assay_office)} Assay Office`) : null),
      h('section', { 'aria-labelledby': 'maker-sourcing' },
        h('h2', { id: 'maker-sourcing' }, 'Sourcing'),
        sourcingClaims(maker.sourcing_claims) || h('p', {}, 'No sourcing claims.'))),
    h('section', { 'aria-labelledby': 'maker-pieces' }, h('h2', { id: 'maker-pieces' }, `Pieces by ${maker.display_name}`), pieces),
    maker.accepts_commissions ? h('section', { class: 'panel', 'aria-labelledby': 'commission-title' },
      h('h2', { id: 'commission-title' }, 'Request a bespoke commission'),
      h('p', {}, `${maker.display_name} takes commissions. Describe what you would like and they will send you a quote. A bespoke piece is made to your specification, so it has no 14-day cancellation right.`),
      commissionForm(maker, navigate)) : null,
    reviewsSection({ makerId: maker.id, makerName: maker.display_name })));

  await section(pieces, async () => {
    const page = await api.get('/listings', { query: { maker_id: maker.id, sort: 'newest', limit: 24 }, signal });
    const items = page?.items || [];
    if (!maker.rating && items[0]?.maker?.rating) replace(rated, ratingLine(items[0].maker.rating));
    if (!items.length) return empty('No pieces on sale right now.');
    return [listingGrid(items, `Pieces by ${maker.display_name}`),
      page.next_cursor ? h('p', {}, h('a', { href: `/search?maker_id=${maker.id}` }, 'See all their pieces')) : null];
  }, 'Loading pieces…');
}
