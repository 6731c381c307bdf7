// The product page: what the piece is made of (metals with fineness and weight, hallmark,
// stones with origin and treatments), every disclosure the catalogue gives, the Dealer's Notice
// for precious metal, the maker with their sourcing evidence, and the options to personalise
// it before adding it to the basket.

import * as api from '../core/api.js';
import * as basket from '../core/basket.js';
import { h, replace, dl, uid } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import * as rings from '../core/ringsizes.js';
import { announce } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { pieceImage, pill, scrollingTable } from '../components/ui.js';
import { photoImage, renditionUrl, setPhoto, showablePhotos } from '../components/photo.js';
import { makerCard, sourcingClaims } from '../components/maker-card.js';
import { ratingLine } from '../components/rating.js';
import { favouriteControl } from '../components/favourite.js';
import { messageMakerLink } from '../components/message-maker.js';
import { reviewsSection } from '../components/reviews.js';

// Shown only if a precious-metal listing ever arrives without the catalogue's own notice.
const DEALERS_NOTICE_FALLBACK = 'Dealer\'s Notice (British Hallmarking Council): under the Hallmarking Act 1973 an article described as platinum, gold, palladium or silver must be hallmarked by a UK Assay Office unless its precious metal weighs less than the exemption weight (gold 1 g, silver 7.78 g, platinum 0.5 g, palladium 1 g). An approved UK hallmark has three compulsory marks: the sponsor\'s mark, the millesimal fineness mark and the Assay Office mark.';

const hasPreciousMetal = (listing) => (listing.metals || []).some((m) => fmt.PRECIOUS_METALS.includes(m.metal));

// --- materials -------------------------------------------------------------------------------

function metalsTable(metals) {
  if (!metals?.length) return null;
  return h('table', { class: 'data-table' },
    h('caption', {}, 'Metals'),
    h('thead', {}, h('tr', {}, ['Metal', 'Fineness', 'Colour', 'Weight', 'Recycled'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, metals.map((m) => h('tr', {},
      h('th', { scope: 'row' }, fmt.metal(m.metal)),
      h('td', {}, m.fineness ? `${m.fineness}‰${fmt.finenessName(m.metal, m.fineness) ? ` (${fmt.finenessName(m.metal, m.fineness)})` : ''}` : '—'),
      h('td', {}, m.colour || '—'),
      h('td', {}, fmt.grams(m.weight_g)),
      h('td', {}, m.recycled ? 'Yes' : 'No')))));
}

function hallmarkFacts(hallmark) {
  if (!hallmark) return null;
  return h('div', { class: 'hallmark', dataset: { hallmarkStatus: hallmark.status } },
    h('h3', {}, 'Hallmark'),
    dl([
      ['Status', fmt.hallmarkStatus(hallmark.status)],
      ['Sponsor\'s mark', hallmark.sponsor_mark],
      ['Assay office', hallmark.assay_office ? fmt.assayOffice(hallmark.assay_office) : null],
    ]));
}

function stonesTable(stones) {
  if (!stones?.length) return null;
  return h('table', { class: 'data-table' },
    h('caption', {}, 'Stones'),
    h('thead', {}, h('tr', {}, ['Stone', 'Origin', 'Treatments', 'Carat (total)', 'Count'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, stones.map((s) => h('tr', { dataset: { origin: s.origin } },
      h('th', { scope: 'row' }, s.type),
      h('td', {}, fmt.origin(s.origin)),
      h('td', {}, s.treatments?.length ? s.treatments.map(fmt.treatment).join(', ') : 'None declared'),
      h('td', {}, s.carat ? `${Number(s.carat).toFixed(2)} ct` : '—'),
      h('td', {}, String(s.count ?? 1))))));
}

// --- disclosures -------------------------------------------------------------------------------

function dealersNotice(text) {
  return h('aside', { class: 'dealers-notice', 'aria-labelledby': 'dealers-notice-title', dataset: { disclosure: 'dealers_notice' } },
    h('h3', { id: 'dealers-notice-title' }, 'Dealer\'s Notice'),
    h('p', {}, text));
}

function disclosures(listing) {
  const all = listing.disclosures || [];
  const notice = all.find((d) => d.code === 'dealers_notice');
  const others = all.filter((d) => d.code !== 'dealers_notice');
  const noticeText = notice?.text || (hasPreciousMetal(listing) ? DEALERS_NOTICE_FALLBACK : null);
  if (!others.length && !noticeText) return null;
  return h('section', { class: 'product__section', 'aria-labelledby': 'disclosures-title' },
    h('h2', { id: 'disclosures-title' }, 'What you should know'),
    others.length ? h('ul', { class: 'disclosures' }, others.map((d) => h('li', { dataset: { disclosure: d.code } }, d.text))) : null,
    noticeText ? dealersNotice(noticeText) : null);
}

/** The listing's claims with whether each is evidenced: from the listing when it says, else the maker. */
function listingClaims(listing, maker) {
  // The catalogue says how each claim it shows is backed: [{scheme, basis}].
  if (Array.isArray(listing.claims)) return listing.claims;
  const makerClaims = maker?.sourcing_claims || [];
  return (listing.sourcing_claims || []).map((claim) => {
    if (typeof claim === 'object') return claim;
    const held = makerClaims.filter((c) => c.scheme === claim);
    if (maker && !held.length) return null; // no longer held (expired): not shown
    return { scheme: claim, evidenced: held.some((c) => c.evidenced || c.status === 'evidenced') };
  }).filter(Boolean);
}

// --- options and the basket ---------------------------------------------------------------------

function ringSizeOptions(listing) {
  const range = listing.options?.ring_size_mm;
  if (!range) return [];
  // The API may send the UK/US views with the listing; otherwise read them from our table.
  const views = listing.ring_sizes || range.sizes;
  if (Array.isArray(views) && views.length && views[0].mm !== undefined) {
    return views.map((v) => ({ mm: Number(v.mm), label: `UK ${v.uk} — ${rings.formatMm(v.mm)}${v.us !== undefined ? ` (US ${v.us})` : ''}` }));
  }
  return rings.sizesInRange(range).map((mm) => {
    const uk = rings.ukSize(mm);
    const us = rings.usSize(mm);
    return { mm, label: `UK ${uk} — ${rings.formatMm(mm)}${us !== null ? ` (US ${us})` : ''}` };
  });
}

function codePoints(text) {
  return [...text.normalize('NFC')].length;
}

function engravingField(engraving) {
  const id = uid('engraving');
  const countId = `${id}-count`;
  const price = engraving.price_delta ? `engraving adds ${fmt.money(engraving.price_delta)}` : 'engraving is included in the price';
  const input = h('input', { id, name: 'engraving_text', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${id}-hint ${countId}` });
  const counter = h('p', { class: 'counter', id: countId, 'aria-live': 'polite' }, `0 of ${engraving.max_chars} characters`);
  input.addEventListener('input', () => {
    const used = codePoints(input.value);
    const over = used > engraving.max_chars;
    counter.textContent = over
      ? `${used} of ${engraving.max_chars} characters — ${used - engraving.max_chars} too many`
      : `${used} of ${engraving.max_chars} characters`;
    counter.classList.toggle('counter--over', over);
    input.setAttribute('aria-invalid', over ? 'true' : 'false');
  });
  return h('div', { class: 'field', dataset: { fieldLoc: 'engraving_text' } },
    h('label', { for: id }, 'Engraving (optional)'),
    h('p', { class: 'field__hint', id: `${id}-hint` }, `Up to ${engraving.max_chars} characters; ${price}. An engraved piece is personalised, so it cannot be returned under the 14-day cancellation right.`),
    input, counter);
}

function quantityLimit(listing) {
  const production = listing.production || {};
  if (production.kind === 'one_of_a_kind') return 1;
  if (production.kind === 'ready_to_ship' && typeof production.stock === 'number') return Math.max(production.stock, 0);
  return 10;
}

function buyForm(listing) {
  const options = listing.options || {};
  const soldOut = listing.availability === 'sold_out';
  // Its owner may look at a draft or paused piece: a preview, not something to buy.
  const preview = listing.visible === false || !['published', 'sold_out'].includes(listing.status);
  const sizes = ringSizeOptions(listing);
  const maxQuantity = quantityLimit(listing);
  const result = h('div', { class: 'buy__result', role: 'status' });

  const form = h('form', { class: 'buy', 'aria-label': 'Personalise and add to basket', novalidate: true },
    sizes.length ? forms.select({
      name: 'ring_size_mm', label: 'Ring size', required: true, placeholder: 'Choose your size',
      hint: `UK letter sizes with the inner circumference in millimetres: ${rings.describe(sizes[0].mm)} to ${rings.describe(sizes[sizes.length - 1].mm)}.`,
      options: sizes.map((s) => [s.mm, s.label]),
    }) : null,
    options.chain_lengths_cm?.length ? forms.select({
      name: 'chain_length_cm', label: 'Chain length', required: true, placeholder: 'Choose a length',
      options: options.chain_lengths_cm.map((cm) => [cm, `${cm} cm (${(cm / 2.54).toFixed(1)} in)`]),
    }) : null,
    options.engraving ? engravingField(options.engraving) : null,
    maxQuantity > 1 ? forms.field({ name: 'quantity', label: 'Quantity', type: 'number', value: '1', attrs: { min: 1, max: maxQuantity, inputmode: 'numeric' } }) : null,
    preview ? h('p', { class: 'notice' }, 'This is a preview: the piece is not on sale.') : null,
    h('button', { type: 'submit', class: 'button button--large', disabled: soldOut || preview }, soldOut ? 'Sold out' : 'Add to basket'),
    result);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = readChoices(form, listing, maxQuantity);
    if (chosen.errors.length) {
      forms.showErrors(form, new api.ApiError(422, { title: 'Please check your choices', errors: chosen.errors }));
      return;
    }
    forms.clearErrors(form);
    basket.add({
      listing_id: listing.id,
      maker_id: listing.maker_id,
      title: listing.title,
      price: listing.price,
      engraving_price: chosen.options.engraving_text ? options.engraving?.price_delta || null : null,
      image: mainThumbnail(listing),
      quantity: chosen.quantity,
      options: chosen.options,
    });
    replace(result, h('p', { class: 'success' }, 'Added to your basket. ', h('a', { href: '/basket' }, 'View basket'), ' or ', h('a', { href: '/checkout' }, 'check out')));
    announce('Added to your basket');
  });
  return form;
}

/** The small rendition of the main photo, for the basket's line. */
function mainThumbnail(listing) {
  const [main] = showablePhotos(listing);
  return main ? renditionUrl(main, 160) : null;
}

function readChoices(form, listing, maxQuantity) {
  const options = listing.options || {};
  const errors = [];
  const chosen = {};
  if (options.ring_size_mm) {
    const mm = forms.number(form, 'ring_size_mm');
    if (mm === null) errors.push({ loc: ['ring_size_mm'], msg: 'Choose a ring size', code: 'ring_size_required' });
    else chosen.ring_size_mm = rings.forOrder(mm, options.ring_size_mm);
  }
  if (options.chain_lengths_cm?.length) {
    const cm = forms.number(form, 'chain_length_cm');
    if (cm === null) errors.push({ loc: ['chain_length_cm'], msg: 'Choose a chain length', code: 'chain_length_required' });
    else chosen.chain_length_cm = cm;
  }
  if (options.engraving) {
    const textValue = form.elements.namedItem('engraving_text').value;
    if (textValue.trim()) {
      if (codePoints(textValue) > options.engraving.max_chars) {
        errors.push({ loc: ['engraving_text'], msg: `At most ${options.engraving.max_chars} characters`, code: 'engraving_too_long' });
      }
      chosen.engraving_text = textValue.normalize('NFC');
    }
  }
  let quantity = 1;
  if (maxQuantity > 1) {
    quantity = forms.number(form, 'quantity');
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > maxQuantity) {
      errors.push({ loc: ['quantity'], msg: `Choose between 1 and ${maxQuantity}`, code: 'quantity_invalid' });
    }
  }
  return { options: chosen, quantity, errors };
}

// --- the page ---------------------------------------------------------------------------------

// The main photo fills the left column beside the summary from 860 px (about 585 px wide at
// most), and the page's width below that.
const MAIN_SIZES = '(min-width: 1180px) 585px, (min-width: 860px) 52vw, calc(100vw - 2rem)';
const THUMB_SIZES = '5rem';

function photoAlt(listing, photo, index) {
  return photo.alt || `${listing.title}, photo ${index + 1}`;
}

/** The 1600 px rendition in a modal dialog; Escape (or Close, or a click beside it) closes. */
function lightbox() {
  const img = h('img', { class: 'lightbox__image', alt: '', decoding: 'async' });
  const caption = h('p', { class: 'lightbox__caption', id: uid('lightbox-caption') });
  const dialog = h('dialog', { class: 'lightbox', 'aria-labelledby': caption.id },
    h('div', { class: 'lightbox__bar' },
      caption,
      h('button', { type: 'button', class: 'button button--small', onclick: () => dialog.close() }, 'Close')),
    img);
  let opener = null;
  // A click on the backdrop lands on the dialog itself, never on its content.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    img.removeAttribute('src');
    opener?.focus();
  });
  return {
    element: dialog,
    open(photo, alt, from) {
      opener = from;
      caption.textContent = alt;
      img.alt = alt;
      if (photo.width && photo.height) {
        img.width = Math.min(1600, photo.width);
        img.height = Math.round(img.width * (photo.height / photo.width));
      }
      img.src = renditionUrl(photo, 1600);
      dialog.showModal();
    },
  };
}

function gallery(listing) {
  const photos = showablePhotos(listing);
  if (!photos.length) return h('div', { class: 'product__gallery' }, pieceImage(null, listing.title, 'product__image'));

  let current = 0;
  const zoom = lightbox();
  const main = photoImage(photos[0], { alt: photoAlt(listing, photos[0], 0), sizes: MAIN_SIZES, className: 'gallery__photo', eager: true });
  const mainImg = main.querySelector('img');
  const enlarge = h('button', { type: 'button', class: 'gallery__zoom', 'aria-haspopup': 'dialog' },
    main,
    h('span', { class: 'gallery__zoom-hint' }, 'Enlarge', h('span', { class: 'visually-hidden' }, ' the photo')));
  enlarge.addEventListener('click', () => zoom.open(photos[current], photoAlt(listing, photos[current], current), enlarge));

  const thumbs = photos.length > 1 ? h('ul', { class: 'thumbs', 'aria-label': 'Photos' }, photos.map((photo, index) => {
    const button = h('button', { type: 'button', class: 'thumbs__button', 'aria-pressed': index === 0 ? 'true' : 'false' },
      photoImage(photo, { sizes: THUMB_SIZES, className: 'thumbs__image' }),
      h('span', { class: 'visually-hidden' }, `Show photo ${index + 1} of ${photos.length}: ${photoAlt(listing, photo, index)}`));
    button.addEventListener('click', () => {
      current = index;
      setPhoto(mainImg, photo, { alt: photoAlt(listing, photo, index), sizes: MAIN_SIZES });
      thumbs.querySelectorAll('.thumbs__button').forEach((other) => other.setAttribute('aria-pressed', String(other === button)));
    });
    return h('li', {}, button);
  })) : null;

  return h('div', { class: 'product__gallery' }, enlarge, thumbs, zoom.element);
}

function productionText(listing) {
  const production = listing.production || {};
  if (production.kind === 'made_to_order' && production.lead_time_days) {
    return `Made for you, ready to dispatch in ${fmt.leadTime(production.lead_time_days)}.`;
  }
  if (production.kind === 'one_of_a_kind') return 'One of a kind: there is only this one.';
  if (production.kind === 'ready_to_ship' && typeof production.stock === 'number') {
    return production.stock > 0 ? `Ready to ship: ${production.stock} available.` : 'Ready to ship, currently out of stock.';
  }
  return fmt.production(production.kind);
}

export async function render({ main, params, signal }) {
  const listing = await api.get(`/listings/${encodeURIComponent(params.id)}`, { signal });
  // The maker's public record has their location and every current claim; the listing's own
  // maker card (name, handle, evidenced schemes) stands in if it cannot be read.
  const maker = await api.get(`/makers/${encodeURIComponent(listing.maker_id)}`, { signal }).catch((error) => {
    if (error?.name === 'AbortError') throw error;
    return listing.maker ? { ...listing.maker, sourcing_claims: (listing.maker.evidenced_claims || []).map((scheme) => ({ scheme, evidenced: true })) } : null;
  });
  setTitle(listing.title);

  const claims = listingClaims(listing, maker);
  replace(main, h('article', { class: 'page product', dataset: { listingId: listing.id } },
    h('div', { class: 'product__top' },
      gallery(listing),
      h('div', { class: 'product__summary' },
        h('p', { class: 'eyebrow' }, [fmt.category(listing.category), maker ? `by ${maker.display_name}` : null].filter(Boolean).join(' · ')),
        h('h1', {}, listing.title),
        listing.status && listing.status !== 'published' ? pill(listing.status, fmt.listingStatus(listing.status)) : null,
        h('p', { class: 'price' }, fmt.money(listing.price)),
        h('p', { class: 'product__rating' }, ratingLine(listing.rating)),
        favouriteControl(listing),
        h('p', { class: 'availability' }, pill(listing.availability, fmt.availability(listing.availability)), ' ', productionText(listing)),
        buyForm(listing),
        maker ? makerCard(maker, { heading: 'h2' }) : null,
        listing.maker?.rating?.count ? h('p', { class: 'product__maker-rating' }, `${maker?.display_name || 'The maker'}'s pieces: `, ratingLine(listing.maker.rating)) : null,
        messageMakerLink({ listing_id: listing.id }, maker?.display_name))),
    listing.description ? h('section', { class: 'product__section', 'aria-labelledby': 'about-title' },
      h('h2', { id: 'about-title' }, 'About this piece'),
      listing.description.split(/\n{2,}/).map((para) => h('p', {}, para))) : null,
    h('section', { class: 'product__section', 'aria-labelledby': 'materials-title' },
      h('h2', { id: 'materials-title' }, 'Materials'),
      scrollingTable(metalsTable(listing.metals)),
      hallmarkFacts(listing.hallmark),
      scrollingTable(stonesTable(listing.stones)),
      !listing.metals?.length && !listing.stones?.length ? h('p', {}, 'The maker has not listed the materials.') : null),
    claims.length ? h('section', { class: 'product__section', 'aria-labelledby': 'sourcing-title' },
      h('h2', { id: 'sourcing-title' }, 'Sourcing'),
      sourcingClaims(claims)) : null,
    disclosures(listing),
    listing.techniques?.length || listing.occasions?.length || listing.style_tags?.length
      ? h('section', { class: 'product__section' }, h('h2', {}, 'Details'), dl([
        ['Techniques', (listing.techniques || []).join(', ')],
        ['Occasions', (listing.occasions || []).join(', ')],
        ['Style', (listing.style_tags || []).join(', ')],
      ])) : null,
    reviewsSection({ listingId: listing.id, makerName: maker?.display_name })));
}
