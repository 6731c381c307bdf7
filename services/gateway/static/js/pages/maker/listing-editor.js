// Creating and editing a listing. Saving keeps it as it is (a draft stays a draft); publishing
// saves and then publishes, and every rule the catalogue says is broken is shown by the field
// its loc names (the rule's code travels in the error's data-code, never as its text).

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import * as rings from '../../core/ringsizes.js';
import { toast } from '../../core/live.js';
import { pill } from '../../components/ui.js';
import { repeater } from '../../components/repeater.js';
import { explainPhotoRules, photoManager } from './photo-manager.js';

const entries = (labels) => Object.entries(labels);
const SIZE_OPTIONS = rings.RING_SIZES.map((s) => [s.mm, `UK ${s.uk} — ${rings.formatMm(s.mm)}`]);

function metalsRepeater(metals) {
  return repeater({
    legend: 'Metals', name: 'metals', itemLabel: 'Metal', addLabel: 'Add a metal',
    hint: `Fineness in parts per thousand. Legal finenesses — gold: ${fmt.LEGAL_FINENESSES.gold.join(', ')}; silver: ${fmt.LEGAL_FINENESSES.silver.join(', ')}; platinum: ${fmt.LEGAL_FINENESSES.platinum.join(', ')}; palladium: ${fmt.LEGAL_FINENESSES.palladium.join(', ')}.`,
    fields: [
      { key: 'metal', label: 'Metal', type: 'select', options: entries(fmt.METALS) },
      { key: 'fineness', label: 'Fineness (‰)', type: 'number', attrs: { inputmode: 'numeric', min: 0, max: 1000 } },
      { key: 'colour', label: 'Colour (optional)' },
      { key: 'weight_g', label: 'Weight (g)', type: 'number', attrs: { inputmode: 'decimal', step: '0.001', min: 0 } },
      { key: 'recycled', label: 'Recycled', type: 'checkbox' },
    ],
    values: metals,
    blank: { metal: 'silver' },
  });
}

function stonesRepeater(stones) {
  return repeater({
    legend: 'Stones', name: 'stones', itemLabel: 'Stone', addLabel: 'Add a stone',
    hint: '"Diamond" alone means a natural diamond. Describe a lab-grown stone as laboratory-grown and an imitation as an imitation — never as real, genuine or natural.',
    fields: [
      { key: 'type', label: 'Stone', attrs: { placeholder: 'e.g. sapphire' } },
      { key: 'origin', label: 'Origin', type: 'select', options: entries(fmt.STONE_ORIGINS) },
      { key: 'treatments', label: 'Treatments', type: 'checks', options: entries(fmt.TREATMENTS) },
      { key: 'carat', label: 'Total carat (optional)', type: 'number', attrs: { inputmode: 'decimal', step: '0.01', min: 0 } },
      { key: 'count', label: 'Number of stones', type: 'number', attrs: { inputmode: 'numeric', min: 1 } },
    ],
    values: stones,
    blank: { origin: 'natural', count: 1 },
  });
}

function heldSchemes(maker) {
  const today = new Date().toISOString().slice(0, 10);
  const held = (maker?.sourcing_claims || []).filter((c) => !c.expired && (!c.expires_on || c.expires_on >= today));
  return [...new Set(held.map((c) => c.scheme))];
}

function buildForm(listing, maker) {
  const l = listing || {};
  const options = l.options || {};
  const production = l.production || {};
  const metals = metalsRepeater(l.metals || []);
  const stones = stonesRepeater(l.stones || []);
  const photos = photoManager(l.photos || []);
  const schemes = [...new Set([...heldSchemes(maker), ...(l.sourcing_claims || [])])];
  const form = h('form', { class: 'stack listing-form', 'aria-labelledby': 'editor-title', novalidate: true },
    h('fieldset', { class: 'stack' }, h('legend', {}, 'The piece'),
      forms.field({ name: 'title', label: 'Title', value: l.title, hint: '3–140 characters.' }),
      forms.textarea({ name: 'description', label: 'Description', value: l.description, rows: 6 }),
      forms.select({ name: 'category', label: 'Category', placeholder: 'Choose…', options: entries(fmt.CATEGORY_SINGULAR), value: l.category }),
      forms.field({ name: 'price', label: 'Price (£)', value: l.price ? fmt.formatMajor(l.price.amount, l.price.currency) : '', attrs: { inputmode: 'decimal', autocomplete: 'off' } }),
      forms.field({ name: 'occasions', label: 'Occasions', value: (l.occasions || []).join(', '), hint: 'Separated by commas, e.g. wedding, anniversary.' }),
      forms.field({ name: 'style_tags', label: 'Style tags', value: (l.style_tags || []).join(', '), hint: 'Up to 13, separated by commas.' }),
      forms.field({ name: 'techniques', label: 'Techniques', value: (l.techniques || []).join(', ') })),
    photos.element,
    h('fieldset', { class: 'stack', dataset: { loc: 'production', fieldLoc: 'production' } }, h('legend', {}, 'Production'),
      forms.select({ name: 'production_kind', loc: 'production.kind', label: 'How it is made', placeholder: 'Choose…', options: entries(fmt.PRODUCTION), value: production.kind }),
      forms.field({ name: 'stock', loc: 'production.stock', label: 'In stock (ready to ship only)', type: 'number', value: production.kind === 'ready_to_ship' ? production.stock ?? '' : '', attrs: { min: 0, inputmode: 'numeric' } }),
      h('div', { class: 'field-row', dataset: { loc: 'production.lead_time_days', fieldLoc: 'production.lead_time_days' } },
        forms.field({ name: 'lead_min', loc: 'production.lead_time_days.min', label: 'Lead time from (days, made to order)', type: 'number', value: production.lead_time_days?.min ?? '', attrs: { min: 1, inputmode: 'numeric' } }),
        forms.field({ name: 'lead_max', loc: 'production.lead_time_days.max', label: 'Lead time to (days)', type: 'number', value: production.lead_time_days?.max ?? '', attrs: { min: 1, inputmode: 'numeric' } }))),
    metals.element,
    h('fieldset', { class: 'stack', dataset: { loc: 'hallmark', fieldLoc: 'hallmark' } }, h('legend', {}, 'Hallmark'),
      h('p', { class: 'field__hint' }, 'Gold from 1 g, silver from 7.78 g, platinum from 0.5 g and palladium from 1 g must be hallmarked by a UK assay office.'),
      forms.select({ name: 'hallmark_status', loc: 'hallmark.status', label: 'Hallmark status', placeholder: 'Not stated', options: entries(fmt.HALLMARK_STATUS), value: l.hallmark?.status }),
      h('div', { class: 'field-row' },
        forms.field({ name: 'hallmark_sponsor_mark', loc: 'hallmark.sponsor_mark', label: 'Sponsor\'s mark', value: l.hallmark?.sponsor_mark ?? maker?.hallmarking?.sponsor_mark ?? '', attrs: { autocomplete: 'off' } }),
        forms.select({ name: 'hallmark_assay_office', loc: 'hallmark.assay_office', label: 'Assay office', placeholder: 'Choose…', options: entries(fmt.ASSAY_OFFICES), value: l.hallmark?.assay_office ?? maker?.hallmarking?.assay_office }))),
    stones.element,
    schemes.length
      ? forms.checkboxGroup({ legend: 'Sourcing claims for this piece', name: 'sourcing_claims', options: schemes.map((s) => [s, fmt.scheme(s)]), values: l.sourcing_claims || [], hint: 'Only schemes you hold (from your application) can be cited.' })
      : h('p', { class: 'muted', dataset: { loc: 'sourcing_claims' } }, 'You hold no sourcing claims, so this piece cannot cite any.'),
    h('fieldset', { class: 'stack', dataset: { loc: 'options', fieldLoc: 'options' } }, h('legend', {}, 'Options for the customer'),
      h('div', { class: 'field-row', dataset: { loc: 'options.ring_size_mm', fieldLoc: 'options.ring_size_mm' } },
        forms.select({ name: 'ring_min', loc: 'options.ring_size_mm.min', label: 'Smallest ring size (rings only)', placeholder: 'Not a ring', options: SIZE_OPTIONS, value: options.ring_size_mm?.min }),
        forms.select({ name: 'ring_max', loc: 'options.ring_size_mm.max', label: 'Largest ring size', placeholder: 'Not a ring', options: SIZE_OPTIONS, value: options.ring_size_mm?.max })),
      h('div', { class: 'field-row', dataset: { loc: 'options.engraving', fieldLoc: 'options.engraving' } },
        forms.field({ name: 'engraving_max', loc: 'options.engraving.max_chars', label: 'Engraving: most characters (empty: no engraving)', type: 'number', value: options.engraving?.max_chars ?? '', attrs: { min: 1, max: 200, inputmode: 'numeric' } }),
        forms.field({ name: 'engraving_price', loc: 'options.engraving.price_delta', label: 'Engraving price (£, empty: included)', value: options.engraving?.price_delta ? fmt.formatMajor(options.engraving.price_delta.amount) : '', attrs: { inputmode: 'decimal' } })),
      forms.field({ name: 'chain_lengths', loc: 'options.chain_lengths_cm', label: 'Chain lengths offered (cm)', value: (options.chain_lengths_cm || []).join(', '), hint: 'Separated by commas, e.g. 40, 45, 50.' })),
  );
  return { form, metals, stones, photos };
}

// --- reading the form into a listing body --------------------------------------------------------

function money(form, name, errors, loc) {
  const text = forms.text(form, name);
  const amount = fmt.parseMajor(text);
  if (Number.isNaN(amount)) {
    errors.push({ loc, msg: 'Enter an amount such as 125 or 125.50', code: 'invalid_amount' });
    return null;
  }
  return amount === null ? null : { amount, currency: 'GBP' };
}

function integer(form, name) {
  const value = forms.number(form, name);
  return value === null || Number.isNaN(value) ? value : Math.trunc(value);
}

function readProduction(form) {
  const kind = forms.text(form, 'production_kind');
  if (!kind) return null;
  const production = { kind };
  if (kind === 'ready_to_ship') production.stock = integer(form, 'stock') ?? 0;
  if (kind === 'made_to_order') {
    const min = integer(form, 'lead_min');
    const max = integer(form, 'lead_max');
    if (min !== null || max !== null) production.lead_time_days = { min: min ?? max, max: max ?? min };
  }
  return production;
}

function readHallmark(form) {
  const status = forms.text(form, 'hallmark_status');
  if (!status) return null;
  const hallmark = { status };
  if (status === 'hallmarked') {
    hallmark.sponsor_mark = forms.optionalText(form, 'hallmark_sponsor_mark')?.toUpperCase() ?? null;
    hallmark.assay_office = forms.optionalText(form, 'hallmark_assay_office');
  }
  return hallmark;
}

function readOptions(form, errors) {
  const options = {};
  const min = forms.number(form, 'ring_min');
  const max = forms.number(form, 'ring_max');
  if (min !== null || max !== null) options.ring_size_mm = { min: min ?? max, max: max ?? min };
  const maxChars = integer(form, 'engraving_max');
  if (maxChars !== null) {
    options.engraving = { max_chars: maxChars, price_delta: money(form, 'engraving_price', errors, ['options', 'engraving', 'price_delta']) };
  }
  const chains = forms.list(form, 'chain_lengths').map(Number);
  if (chains.some((n) => !Number.isInteger(n))) {
    errors.push({ loc: ['options', 'chain_lengths_cm'], msg: 'Whole centimetres separated by commas, e.g. 40, 45', code: 'invalid_number' });
  } else if (chains.length) options.chain_lengths_cm = chains;
  return Object.keys(options).length ? options : null;
}

function readListing(form, { metals, stones, photos }) {
  const errors = [...photos.check()];
  const body = {
    title: forms.optionalText(form, 'title'),
    description: forms.optionalText(form, 'description'),
    category: forms.optionalText(form, 'category'),
    price: money(form, 'price', errors, ['price']),
    photos: photos.values(),
    occasions: forms.list(form, 'occasions'),
    style_tags: forms.list(form, 'style_tags'),
    techniques: forms.list(form, 'techniques'),
    production: readProduction(form),
    metals: metals.values().map((m) => ({ ...m, fineness: m.fineness === null ? null : Math.trunc(m.fineness), colour: m.colour || null })),
    hallmark: readHallmark(form),
    stones: stones.values().map((s) => {
      const stone = { type: s.type, origin: s.origin, treatments: s.treatments, count: s.count ?? 1 };
      if (s.carat !== null) stone.carat = s.carat;
      return stone;
    }),
    sourcing_claims: forms.checkedValues(form, 'sourcing_claims'),
    options: readOptions(form, errors),
  };
  return { body, errors };
}

// --- the section ---------------------------------------------------------------------------------

/**
 * Render the editor for `listing` (null: a new one) into `container`. `onSaved(listing)` after a
 * save or publish.
 */
export function renderEditor(container, { listing, maker, onSaved, onClose }) {
  const parts = buildForm(listing, maker);
  const { form } = parts;
  let current = listing;
  const save = h('button', { type: 'submit', class: 'button button--secondary' }, current ? 'Save changes' : 'Save draft');
  // A public listing is saved as it is (it must stay publishable); a draft or paused one can
  // be saved and published in one go.
  const isPublic = ['published', 'sold_out'].includes(current?.status);
  const publish = isPublic ? null : h('button', { type: 'button', class: 'button', dataset: { action: 'publish' } }, 'Save and publish');
  form.append(h('div', { class: 'actions' }, save, publish, h('button', { type: 'button', class: 'link-button', onclick: onClose }, 'Back to listings')));

  const persist = async () => {
    const { body, errors } = readListing(form, parts);
    if (errors.length) throw new api.ApiError(422, { title: 'Please check the highlighted fields', errors });
    if (current) {
      current = await api.patch(`/listings/${current.id}`, body);
      return current;
    }
    try {
      current = await api.post('/listings', body);
    } catch (error) {
      // The catalogue hears of an approval by event: just after it, it may not know yet.
      if (error.status === 403 && maker?.status === 'approved') {
        throw new api.ApiError(403, { title: 'Not yet able to list', detail: 'Your approval is still reaching the catalogue. Try again in a few seconds.' });
      }
      throw error;
    }
    return current;
  };

  // The catalogue's photo rules are said in words of our own.
  const explained = (action) => async () => {
    try {
      return await action();
    } catch (error) {
      throw explainPhotoRules(error);
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await forms.submitting(form, explained(persist), { button: save, busyLabel: 'Saving…' });
    if (saved) {
      toast('Listing saved.');
      onSaved(saved, { published: false });
    }
  });
  publish?.addEventListener('click', async () => {
    const done = await forms.submitting(form, explained(async () => {
      const saved = await persist();
      if (saved.status === 'published') return saved;
      return api.post(`/listings/${saved.id}/publish`, {});
    }), { button: publish, busyLabel: 'Publishing…' });
    if (done) {
      toast(done.status === 'published' ? 'Published: the piece is on sale.' : 'Listing saved.');
      onSaved(done, { published: done.status === 'published' });
    } else if (current && !listing) {
      // The draft was created before publishing failed: keep editing that draft.
      listing = current;
      save.textContent = 'Save changes';
    }
  });

  replace(container,
    h('h2', { id: 'editor-title' }, current ? `Edit “${current.title || 'untitled'}”` : 'New listing'),
    current ? h('p', {}, 'Status: ', pill(current.status, fmt.listingStatus(current.status))) : null,
    form);
}
