// The maker's shipping profile: where they post from, and for each area they post to (the UK,
// Europe, the rest of the world) what a parcel costs and how long the post takes. An area left
// unticked is not shipped to. Every refusal is said in words next to the field concerned.

import * as api from '../../core/api.js';
import { h, replace } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import { toast } from '../../core/live.js';
import { words as sentenceFor } from '../../core/messages.js';
import { section } from '../../components/ui.js';
import { countryOptions } from '../checkout.js';

const ZONES = ['uk', 'europe', 'world'];
const LEGENDS = { uk: 'United Kingdom', europe: 'Europe (the EU, the EEA and Switzerland)', world: 'Rest of the world' };

const FALLBACK = 'This value is not accepted.';

function words(code) {
  return sentenceFor(code, 'maker_shipping') || FALLBACK;
}

function problem(errors) {
  return new api.ApiError(422, { errors: errors.map((e) => ({ ...e, msg: words(e.code) })) });
}

/** The API's errors in words, each on the field it is about: the API numbers the rates it was
 * sent (in zone order), the form names them by zone. */
function inWords(error, sentZones) {
  if (!(error instanceof api.ApiError)) return error;
  error.detail = sentenceFor(error.code, 'maker_shipping') || (error.status === 404 ? 'Your maker record was not found: reload the page.' : error.detail);
  error.errors = error.errors.map((entry) => {
    const parts = forms.cleanLoc(entry.loc);
    const loc = parts[0] === 'rates' && typeof parts[1] === 'number' ? ['zones', sentZones[parts[1]], ...parts.slice(2)] : parts;
    return { ...entry, loc, msg: words(entry.code) };
  });
  return error;
}

function zoneFields(zone, rate) {
  const loc = `zones.${zone}`;
  const money = (name, label, value, hint) => forms.field({
    name: `${zone}_${name}`, loc: `${loc}.${name}`, label, hint,
    value: value ? fmt.formatMajor(value.amount, value.currency) : '',
    attrs: { inputmode: 'decimal', autocomplete: 'off' },
  });
  const days = (name, label, value) => forms.field({
    name: `${zone}_transit_${name}`, loc: `${loc}.transit_days.${name}`, label, type: 'number',
    value: value ?? '', attrs: { min: 1, max: 60, step: 1, inputmode: 'numeric' },
  });
  return h('fieldset', { class: 'stack shipping-zone', dataset: { zone, loc, fieldLoc: loc } },
    h('legend', {}, LEGENDS[zone]),
    forms.checkbox({ name: `${zone}_ships`, loc: `${loc}.ships`, label: 'We ship here', checked: Boolean(rate) }),
    h('div', { class: 'field-row' },
      money('first_item', 'First item (£)', rate?.first_item, '0 for free.'),
      money('additional_item', 'Each additional item (£)', rate?.additional_item, '0 when more items cost nothing extra.'),
      money('free_over', 'Free over (£, optional)', rate?.free_over, 'Free when the items in the parcel reach this.')),
    h('fieldset', { class: 'field-row', dataset: { loc: `${loc}.transit_days`, fieldLoc: `${loc}.transit_days` } },
      h('legend', {}, 'Working days in the post'),
      days('min', 'At least', rate?.transit_days.min),
      days('max', 'At most', rate?.transit_days.max)));
}

/** The rate the form gives for `zone`, or the errors that stop it being sent. */
function readZone(form, zone, currency) {
  const loc = ['zones', zone];
  const errors = [];
  const amount = (name, optional) => {
    const value = fmt.parseMajor(forms.text(form, `${zone}_${name}`), currency);
    if (value === null && optional) return null;
    if (value === null || Number.isNaN(value)) {
      errors.push({ loc: [...loc, name], code: value === null ? 'required' : 'amount_invalid' });
      return null;
    }
    return { amount: value, currency };
  };
  const days = (name) => {
    const text = forms.text(form, `${zone}_transit_${name}`);
    if (!text) errors.push({ loc: [...loc, 'transit_days', name], code: 'required' });
    else if (!/^\d+$/.test(text)) errors.push({ loc: [...loc, 'transit_days', name], code: 'days_invalid' });
    return Number(text);
  };
  const rate = {
    zone,
    first_item: amount('first_item', false),
    additional_item: amount('additional_item', false),
    free_over: amount('free_over', true),
    transit_days: { min: days('min'), max: days('max') },
  };
  return { rate, errors };
}

function shippingForm(maker, profile, onSaved) {
  const currency = profile.rates[0]?.first_item.currency || 'GBP';
  const rates = Object.fromEntries(profile.rates.map((rate) => [rate.zone, rate]));
  const countries = countryOptions();
  if (!countries.some(([code]) => code === profile.dispatch_country)) {
    countries.push([profile.dispatch_country, fmt.country(profile.dispatch_country)]);
  }
  const form = h('form', { class: 'stack shipping-form', 'aria-labelledby': 'shipping-title', novalidate: true },
    h('h2', { id: 'shipping-title' }, 'Shipping'),
    h('p', { class: 'field__hint' }, 'Customers see where you ship and pay the price you set here for each parcel you send them. A parcel costs the first item\'s price plus the additional price for every further item, and nothing once its items reach your "free over" amount. Days in the post are working days after you dispatch.'),
    forms.select({ name: 'dispatch_country', label: 'Country you post from', options: countries, value: profile.dispatch_country, required: true }),
    h('div', { class: 'stack', dataset: { loc: 'rates', fieldLoc: 'rates' } },
      h('h3', { 'data-label': '' }, 'Where you ship'),
      ZONES.map((zone) => zoneFields(zone, rates[zone]))));
  const save = h('button', { type: 'submit', class: 'button' }, 'Save shipping');
  form.append(h('div', { class: 'actions' }, save));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = ZONES.filter((zone) => forms.checked(form, `${zone}_ships`));
    const read = chosen.map((zone) => readZone(form, zone, currency));
    const errors = read.flatMap((r) => r.errors);
    if (!chosen.length) errors.push({ loc: ['rates'], code: 'shipping_zones_required' });
    if (errors.length) {
      forms.showErrors(form, problem(errors));
      return;
    }
    const body = { dispatch_country: forms.text(form, 'dispatch_country'), rates: read.map((r) => r.rate) };
    const saved = await forms.submitting(form, async () => {
      try {
        return await api.put(`/makers/${maker.id}/shipping`, body);
      } catch (error) {
        throw inWords(error, chosen);
      }
    }, { button: save, busyLabel: 'Saving…' });
    if (saved) {
      toast(`Your shipping is saved: you ship to ${fmt.shippingZones(saved.rates.map((r) => r.zone))}.`);
      onSaved(saved);
    }
  });
  return form;
}

export async function renderShipping(body, ctx, maker) {
  const panel = h('section', { class: 'panel' });
  replace(body, panel);
  const show = (profile) => replace(panel, shippingForm(maker, profile, show));
  await section(panel, async () => {
    const profile = await api.get(`/makers/${maker.id}/shipping`, { signal: ctx.signal });
    return shippingForm(maker, profile, show);
  }, 'Loading your shipping…');
}
