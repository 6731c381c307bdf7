// Formatting and the words shown for the API's codes.

const LOCALE = 'en-GB';
const moneyFormats = new Map();

function moneyFormat(currency) {
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(currency, new Intl.NumberFormat(LOCALE, { style: 'currency', currency }));
  }
  return moneyFormats.get(currency);
}

/** Minor-unit digits of a currency (2 for GBP, 0 for JPY), from Intl itself. */
export function minorDigits(currency = 'GBP') {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits;
}

/** {amount: 12500, currency: 'GBP'} -> "£125.00"; '' for anything that is not an amount. */
export function money(value) {
  if (!value || !Number.isFinite(value.amount)) return '';
  const currency = value.currency || 'GBP';
  return moneyFormat(currency).format(value.amount / 10 ** minorDigits(currency));
}

export function moneyTimes(value, times) {
  return value ? { amount: value.amount * times, currency: value.currency } : null;
}

export function moneySum(values, currency = 'GBP') {
  const present = values.filter(Boolean);
  return {
    amount: present.reduce((sum, value) => sum + value.amount, 0),
    currency: present[0]?.currency || currency,
  };
}

/**
 * "125.5" -> 12550 minor units, parsed as text so no float rounding creeps in.
 * Returns null for an empty field and NaN for something that is not an amount.
 */
export function parseMajor(text, currency = 'GBP') {
  const value = String(text ?? '').trim().replace(/[£$€,\s]/g, '');
  if (!value) return null;
  const digits = minorDigits(currency);
  const match = value.match(/^(\d+)(?:\.(\d*))?$/);
  if (!match || (match[2] || '').length > digits) return NaN;
  const fraction = (match[2] || '').padEnd(digits, '0');
  return Number(match[1]) * 10 ** digits + Number(fraction || 0);
}

/** 12550 -> "125.50" for an input's value. */
export function formatMajor(amount, currency = 'GBP') {
  if (amount === null || amount === undefined) return '';
  const digits = minorDigits(currency);
  return (amount / 10 ** digits).toFixed(digits);
}

const dateTime = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium' });

export function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function day(iso) {
  if (!iso) return '';
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return Number.isNaN(date.getTime()) ? iso : dateOnly.format(date);
}

const regionNames = new Intl.DisplayNames([LOCALE], { type: 'region' });

/** "GB" -> "United Kingdom"; the code itself when Intl does not know it. */
export function country(code) {
  if (!code) return '';
  try {
    return regionNames.of(String(code).toUpperCase()) || code;
  } catch {
    return code;
  }
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/** A readable label from a snake_case code, when no better word is known. */
export function humanise(code) {
  if (code === null || code === undefined) return '';
  const text = String(code).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function labeller(words) {
  return (code) => words[code] ?? humanise(code);
}

export const CATEGORIES = {
  ring: 'Rings', necklace: 'Necklaces', pendant: 'Pendants', earrings: 'Earrings',
  bracelet: 'Bracelets', bangle: 'Bangles', brooch: 'Brooches', cufflinks: 'Cufflinks',
  anklet: 'Anklets', charm: 'Charms',
};
export const CATEGORY_SINGULAR = {
  ring: 'Ring', necklace: 'Necklace', pendant: 'Pendant', earrings: 'Earrings',
  bracelet: 'Bracelet', bangle: 'Bangle', brooch: 'Brooch', cufflinks: 'Cufflinks',
  anklet: 'Anklet', charm: 'Charm',
};
export const METALS = {
  gold: 'Gold', silver: 'Silver', platinum: 'Platinum', palladium: 'Palladium', other: 'Other metal',
};
export const PRECIOUS_METALS = ['gold', 'silver', 'platinum', 'palladium'];
export const LEGAL_FINENESSES = {
  gold: [375, 585, 750, 916, 990, 999],
  silver: [800, 925, 958, 999],
  platinum: [850, 900, 950, 999],
  palladium: [500, 950, 999],
};
const FINENESS_NAMES = {
  'gold:375': '9ct', 'gold:585': '14ct', 'gold:750': '18ct', 'gold:916': '22ct',
  'silver:925': 'sterling', 'silver:958': 'Britannia',
};
export const STONE_ORIGINS = {
  natural: 'Natural', lab_grown: 'Laboratory-grown', imitation: 'Imitation',
};
export const TREATMENTS = {
  heating: 'Heating', fracture_filling: 'Fracture filling', coating: 'Coating',
  irradiation: 'Irradiation', hpht: 'HPHT (high pressure, high temperature)',
  laser_drilling: 'Laser drilling',
};
export const PRODUCTION = {
  one_of_a_kind: 'One of a kind', made_to_order: 'Made to order', ready_to_ship: 'Ready to ship',
};
export const AVAILABILITY = {
  in_stock: 'In stock', made_to_order: 'Made to order', sold_out: 'Sold out',
};
export const SCHEMES = {
  recycled: 'Recycled', fairtrade: 'Fairtrade', fairmined: 'Fairmined',
  rjc_coc: 'RJC chain of custody', scs_recycled: 'SCS recycled content', other: 'Other',
};
export const ASSAY_OFFICES = {
  london: 'London', birmingham: 'Birmingham', sheffield: 'Sheffield', edinburgh: 'Edinburgh',
};
export const HALLMARK_STATUS = {
  hallmarked: 'Hallmarked', exempt_under_weight: 'Exempt (under the exemption weight)',
  not_applicable: 'Not applicable (no precious metal)',
};
export const SORTS = {
  relevance: 'Best match', newest: 'Newest', price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
};
export const ORDER_STATUS = {
  pending: 'Pending payment', confirmed: 'Confirmed', completed: 'Completed', cancelled: 'Cancelled',
};
export const MAKER_ORDER_STATUS = {
  awaiting_acceptance: 'Awaiting acceptance', in_production: 'In production',
  quality_checked: 'Quality checked', dispatched: 'Dispatched', delivered: 'Delivered',
  declined: 'Declined', cancelled: 'Cancelled',
};
export const CANCELLATION_REASONS = {
  out_of_stock: 'A piece went out of stock', price_changed: 'A price changed',
  payment_declined: 'The payment was declined', expired: 'The order expired before payment',
  customer_cancelled: 'You cancelled it', maker_declined: 'The maker declined it',
};
export const CANCELLATION_RIGHTS = {
  standard: '14-day cancellation right',
  exempt_personalised: 'Personalised: no 14-day cancellation right',
};
export const MAKER_STATUS = {
  draft: 'Draft', submitted: 'Submitted for review', approved: 'Approved', rejected: 'Rejected',
  changes_requested: 'Changes requested', suspended: 'Suspended',
};
export const LISTING_STATUS = {
  draft: 'Draft', published: 'Published', paused: 'Paused', sold_out: 'Sold out', archived: 'Archived',
};
export const COMMISSION_STATUS = {
  requested: 'Requested', quoted: 'Quoted', accepted: 'Accepted', declined: 'Declined',
  withdrawn: 'Withdrawn',
};
export const CHECKLIST_ITEMS = {
  terms_accepted: 'Accept the marketplace terms',
  portfolio_url: 'Add at least one portfolio link',
  sponsor_mark: 'Register a sponsor mark and assay office (you work precious metals)',
  system_of_warranties: 'Attest to the System of Warranties (you sell natural diamonds)',
  sourcing_evidence: 'Evidence for each sourcing claim (certificate or link)',
};

export const category = labeller(CATEGORY_SINGULAR);
export const metal = labeller(METALS);
export const origin = labeller(STONE_ORIGINS);
export const treatment = labeller(TREATMENTS);
export const production = labeller(PRODUCTION);
export const availability = labeller(AVAILABILITY);
export const scheme = labeller(SCHEMES);
export const assayOffice = labeller(ASSAY_OFFICES);
export const hallmarkStatus = labeller(HALLMARK_STATUS);
export const orderStatus = labeller(ORDER_STATUS);
export const makerOrderStatus = labeller(MAKER_ORDER_STATUS);
export const cancellationReason = labeller(CANCELLATION_REASONS);
export const cancellationRight = labeller(CANCELLATION_RIGHTS);
export const makerStatus = labeller(MAKER_STATUS);
export const listingStatus = labeller(LISTING_STATUS);
export const commissionStatus = labeller(COMMISSION_STATUS);
export const checklistItem = labeller(CHECKLIST_ITEMS);

/** "sterling" for silver 925, "18ct" for gold 750, else null. */
export function finenessName(metalCode, value) {
  return FINENESS_NAMES[`${metalCode}:${value}`] || null;
}

/** "Silver 925 (sterling)". */
export function fineness(metalCode, value) {
  if (value === null || value === undefined) return metal(metalCode);
  const name = FINENESS_NAMES[`${metalCode}:${value}`];
  return `${metal(metalCode)} ${value}${name ? ` (${name})` : ''}`;
}

export function grams(value) {
  if (value === null || value === undefined) return '';
  return `${Number(value).toLocaleString(LOCALE, { maximumFractionDigits: 3 })} g`;
}

export function leadTime(days) {
  if (!days) return '';
  if (typeof days === 'number') return plural(days, 'day');
  return days.min === days.max ? plural(days.min, 'day') : `${days.min}–${days.max} days`;
}

// Where a maker posts to (their shipping profile's zones), in the order shown.
export const SHIPPING_ZONES = {
  uk: 'the United Kingdom',
  europe: 'Europe (the EU, the EEA and Switzerland)',
  world: 'the rest of the world',
};

/** ["uk", "europe"] -> "the United Kingdom and Europe (the EU, the EEA and Switzerland)". */
export function shippingZones(zones = []) {
  const names = Object.keys(SHIPPING_ZONES).filter((zone) => zones.includes(zone)).map((zone) => SHIPPING_ZONES[zone]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0] || '';
}
