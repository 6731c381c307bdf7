// Search: the page's query string is the API's (q, category, metal, ..., sort), so a search can
// be bookmarked, shared and reloaded. Results come in keyset pages ("Load more" follows
// next_cursor); facets count the matches per category, metal, stone origin, production and
// sourcing scheme for the current query and filters, exactly. There is one set of filters: the
// facet counts are shown in the filters' own choices. When little matches, the search offers
// its corrected words as a link ("Did you mean …?"); the words box offers completions. On a wide screen the filters stand beside the
// results; on a phone they open in a drawer whose button says how many results they would show.

import * as api from '../core/api.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { announce } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { listingCard } from '../components/listing-card.js';
import { offerSuggestions } from '../components/suggest.js';
import { empty, errorBox, loading } from '../components/ui.js';

export const FILTERS = ['q', 'category', 'metal', 'fineness', 'stone', 'stone_origin', 'min_price', 'max_price',
  'production', 'sourcing', 'maker_id', 'occasion', 'sort'];
const PAGE_SIZE = 24;

const FACETS = [
  { name: 'category', title: 'Category', label: fmt.category },
  { name: 'metal', title: 'Metal', label: fmt.metal },
  { name: 'stone_origin', title: 'Stone origin', label: fmt.origin },
  { name: 'production', title: 'Production', label: fmt.production },
  { name: 'sourcing', title: 'Sourcing', label: fmt.scheme },
];

const entriesOf = (labels) => Object.entries(labels);

const PRICES = ['min_price', 'max_price'];

/** The filters present in a query string, in API form. */
export function filtersFrom(query) {
  const filters = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

/**
 * The filters the API can take: a price in the address that is not a whole number of pence (a
 * link typed by hand) is left out and named, rather than sent to be refused.
 */
function usableFilters(filters) {
  const usable = { ...filters };
  const dropped = [];
  for (const name of PRICES) {
    if (name in usable && !/^\d{1,9}$/.test(usable[name])) {
      delete usable[name];
      dropped.push(name);
    }
  }
  return { usable, dropped };
}

function searchUrl(filters) {
  return `/search${api.queryString(filters)}`;
}

function withFilter(filters, name, value) {
  const next = { ...filters };
  if (value === null || value === undefined || value === '') delete next[name];
  else next[name] = value;
  return searchUrl(next);
}

// --- the filters form -----------------------------------------------------------------------------

function priceInput(name, label, filters) {
  const minor = filters[name];
  return forms.field({
    name, label, type: 'text', loc: name,
    value: minor && /^\d+$/.test(minor) ? fmt.formatMajor(Number(minor)) : '',
    attrs: { inputmode: 'decimal', autocomplete: 'off', placeholder: '£' },
  });
}

function filterForm(filters, navigate) {
  const finenessOptions = [...new Set(Object.values(fmt.LEGAL_FINENESSES).flat())].sort((a, b) => a - b)
    .map((value) => [value, String(value)]);
  const form = h('form', { class: 'filters__form', 'aria-label': 'Search filters', novalidate: true },
    forms.field({ name: 'q', label: 'Words', type: 'search', value: filters.q, attrs: { autocomplete: 'off' } }),
    forms.select({ name: 'category', label: 'Category', placeholder: 'Any category', options: entriesOf(fmt.CATEGORY_SINGULAR), value: filters.category }),
    forms.select({ name: 'metal', label: 'Metal', placeholder: 'Any metal', options: entriesOf(fmt.METALS), value: filters.metal }),
    forms.select({ name: 'fineness', label: 'Fineness (parts per thousand)', placeholder: 'Any fineness', options: finenessOptions, value: filters.fineness }),
    forms.field({ name: 'stone', label: 'Stone', value: filters.stone, hint: 'e.g. sapphire, diamond', attrs: { autocomplete: 'off' } }),
    forms.select({ name: 'stone_origin', label: 'Stone origin', placeholder: 'Any origin', options: entriesOf(fmt.STONE_ORIGINS), value: filters.stone_origin }),
    h('div', { class: 'field-row' }, priceInput('min_price', 'Min price (£)', filters), priceInput('max_price', 'Max price (£)', filters)),
    forms.select({ name: 'production', label: 'Production', placeholder: 'Any', options: entriesOf(fmt.PRODUCTION), value: filters.production }),
    forms.select({ name: 'sourcing', label: 'Sourcing scheme', placeholder: 'Any', options: entriesOf(fmt.SCHEMES), value: filters.sourcing }),
    forms.field({ name: 'occasion', label: 'Occasion', value: filters.occasion, hint: 'e.g. wedding, birthday', attrs: { autocomplete: 'off' } }),
    forms.select({ name: 'sort', label: 'Sort by', options: entriesOf(fmt.SORTS), value: filters.sort || (filters.q ? 'relevance' : 'newest') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button' }, 'Apply filters'),
      h('a', { href: '/search', class: 'button button--secondary' }, 'Clear all')));
  offerSuggestions(form.elements.namedItem('q'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = readForm(form, filters);
    if (next) navigate(searchUrl(next));
  });
  return form;
}

/** The filters the form holds, or null (its errors shown unless `quiet`) when a price is not an amount. */
function readForm(form, current, { quiet = false } = {}) {
  const next = {};
  for (const name of ['q', 'category', 'metal', 'fineness', 'stone', 'stone_origin', 'production', 'sourcing', 'occasion', 'sort']) {
    const value = forms.text(form, name);
    if (value) next[name] = value;
  }
  if (current.maker_id) next.maker_id = current.maker_id;
  // The default order needs no parameter: relevance with words, newest without.
  if (next.sort === (next.q ? 'relevance' : 'newest')) delete next.sort;
  const errors = [];
  for (const name of ['min_price', 'max_price']) {
    const minor = fmt.parseMajor(forms.text(form, name));
    if (Number.isNaN(minor) || minor > 999999999) errors.push({ loc: [name], msg: 'Enter an amount such as 25 or 25.50.', code: 'invalid_amount' });
    else if (minor !== null) next[name] = String(minor);
  }
  if (!errors.length && next.min_price && next.max_price && Number(next.min_price) > Number(next.max_price)) {
    errors.push({ loc: ['max_price'], msg: 'The highest price must not be less than the lowest.', code: 'price_range_invalid' });
  }
  if (errors.length) {
    if (!quiet) forms.showErrors(form, new api.ApiError(422, { title: 'Please check the prices', errors }));
    return null;
  }
  return next;
}

// --- facets and active filters ------------------------------------------------------------------

/** A facet's exact counts, [{value, count}], as [value, count] pairs. */
function facetEntries(raw) {
  return (raw || []).map((entry) => [entry.value, entry.count]);
}

function countText(count) {
  return Number(count).toLocaleString('en-GB');
}

/** Each facet's counts shown in its own select: "Rings (12)"; a choice with no matches says 0. */
function showFacetCounts(form, facets) {
  for (const { name, label } of FACETS) {
    const select = form.elements.namedItem(name);
    const entries = facetEntries(facets?.[name]);
    if (!select || !entries.length) continue;
    const counts = new Map(entries.map(([value, count]) => [String(value), countText(count)]));
    for (const option of select.options) {
      if (!option.value) continue;
      option.textContent = `${label(option.value)} (${counts.get(option.value) ?? '0'})`;
    }
  }
}

function totalOf(page) {
  const count = page?.total?.count;
  return typeof count === 'number' ? count : null;
}

function filterLabel(name, value) {
  switch (name) {
    case 'q': return `“${value}”`;
    case 'category': return fmt.category(value);
    case 'metal': return fmt.metal(value);
    case 'fineness': return `Fineness ${value}`;
    case 'stone_origin': return fmt.origin(value);
    case 'production': return fmt.production(value);
    case 'sourcing': return fmt.scheme(value);
    case 'min_price': return `From ${fmt.money({ amount: Number(value), currency: 'GBP' })}`;
    case 'max_price': return `Up to ${fmt.money({ amount: Number(value), currency: 'GBP' })}`;
    case 'maker_id': return 'One maker';
    case 'occasion': return `Occasion: ${value}`;
    case 'stone': return `Stone: ${value}`;
    default: return value;
  }
}

function activeFilters(filters) {
  const names = Object.keys(filters).filter((name) => name !== 'sort');
  if (!names.length) return null;
  return h('ul', { class: 'chips', 'aria-label': 'Active filters' }, names.map((name) => h('li', {},
    h('a', { class: 'chip', href: withFilter(filters, name, null) }, filterLabel(name, filters[name]),
      h('span', { 'aria-hidden': 'true' }, ' ×'), h('span', { class: 'visually-hidden' }, ' (remove filter)')))));
}

// --- the page ----------------------------------------------------------------------------------

/** "Did you mean “signet ring”?", the corrected words a link to their search (other filters kept). */
function didYouMean(filters, words) {
  return ['Did you mean ', h('a', { href: withFilter(filters, 'q', words), dataset: { didYouMean: words } }, `“${words}”`), '?'];
}

/** "Showing 24 of 130 pieces" (the total counts every match). */
function statusText(shown, page) {
  const count = totalOf(page);
  if (count !== null && count > shown) {
    return `Showing ${shown.toLocaleString('en-GB')} of ${countText(count)} pieces.`;
  }
  return `Showing ${fmt.plural(shown, 'piece')}${page?.next_cursor ? '' : ' — that is everything'}.`;
}

export async function render({ main, query, signal, navigate }) {
  const { usable: filters, dropped } = usableFilters(filtersFrom(query));
  setTitle(filters.q ? `“${filters.q}”` : filters.category ? fmt.CATEGORIES[filters.category] || 'Search' : 'Browse pieces');

  const results = h('ul', { class: 'card-grid', 'aria-label': 'Results', id: 'results' });
  const status = h('p', { class: 'results__status', role: 'status' });
  const correction = h('p', { class: 'results__correction' });
  const more = h('div', { class: 'results__more' });
  const form = filterForm(filters, navigate);
  const side = h('aside', { class: 'search-layout__side', 'aria-labelledby': 'filters-side-title' });
  const sideTitle = h('h2', { class: 'filters__heading', id: 'filters-side-title' }, 'Filters');
  const drawer = filtersDrawer(form, filters);

  replace(main, h('div', { class: 'page page--search' },
    h('h1', {}, filters.q ? `Results for “${filters.q}”` : 'Browse handcrafted pieces'),
    dropped.length ? h('p', { class: 'notice', dataset: { dropped: dropped.join(' ') } },
      'A price in this link was not an amount, so it is left out of the search.') : null,
    activeFilters(filters),
    drawer.opener,
    h('div', { class: 'search-layout' },
      side,
      h('section', { class: 'search-layout__results', 'aria-label': 'Results', 'aria-busy': 'true' }, correction, status, results, more)),
    drawer.dialog));

  // One form, placed beside the results on a wide screen and in the drawer on a phone.
  const wide = window.matchMedia('(min-width: 900px)');
  const place = () => {
    if (wide.matches) {
      if (drawer.dialog.open) drawer.dialog.close();
      side.append(sideTitle, form);
      side.hidden = false;
    } else {
      replace(side);
      side.hidden = true;
      drawer.body.append(form);
    }
  };
  place();
  wide.addEventListener('change', place, { signal });

  let shown = 0;
  const loadPage = async (cursor) => {
    const page = await api.get('/listings', { query: { ...filters, limit: PAGE_SIZE, cursor }, signal });
    const items = page?.items || [];
    results.append(...items.map(listingCard));
    shown += items.length;
    if (!cursor) {
      showFacetCounts(form, page?.facets);
      drawer.showCount(totalOf(page) ?? items.length);
      replace(correction, page?.did_you_mean ? didYouMean(filters, page.did_you_mean) : null);
    }
    status.textContent = shown ? statusText(shown, page) : '';
    if (!shown) replace(status, empty('No pieces match. Try fewer filters or other words.', h('a', { href: '/search', class: 'button button--secondary' }, 'Clear all filters')));
    replace(more, page?.next_cursor ? loadMoreButton(page.next_cursor) : null);
    return items;
  };

  const loadMoreButton = (cursor) => {
    const button = h('button', { type: 'button', class: 'button button--secondary', 'aria-controls': 'results' }, 'Load more');
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Loading…';
      try {
        const before = results.children.length;
        const items = await loadPage(cursor);
        announce(`${fmt.plural(items.length, 'more piece')} loaded`);
        results.children[before]?.querySelector('a')?.focus();
      } catch (error) {
        if (error?.name === 'AbortError') return;
        replace(more, errorBox(error, () => replace(more, loadMoreButton(cursor))));
      }
    });
    return button;
  };

  replace(status, loading('Searching…'));
  try {
    await loadPage(null);
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    replace(status, errorBox(error, () => navigate(window.location.pathname + window.location.search, { replace: true })));
  } finally {
    main.querySelector('.search-layout__results')?.removeAttribute('aria-busy');
  }
}

/**
 * The phone's drawer for the filters: a button that opens it, and a modal dialog whose submit
 * button says how many pieces the chosen filters would show (counted as the choices change).
 */
function filtersDrawer(form, filters) {
  const active = Object.keys(filters).filter((name) => name !== 'sort' && name !== 'q').length;
  const titleId = 'filters-drawer-title';
  const body = h('div', { class: 'drawer__body' });
  const show = h('button', { type: 'submit', class: 'button button--large drawer__show' }, 'Show results');
  show.setAttribute('form', 'search-filters');
  const close = h('button', { type: 'button', class: 'button button--secondary button--small' }, 'Close');
  const dialog = h('dialog', { class: 'drawer', 'aria-labelledby': titleId },
    h('div', { class: 'drawer__head' }, h('h2', { id: titleId }, 'Filters'), close),
    body,
    h('div', { class: 'drawer__foot' }, show));
  const opener = h('button', { type: 'button', class: 'button button--secondary filters-opener', 'aria-haspopup': 'dialog' },
    active ? `Filters (${active})` : 'Filters');
  opener.addEventListener('click', () => dialog.showModal());
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => opener.focus());
  form.id = 'search-filters';

  const showCount = (count) => {
    show.textContent = count === null ? 'Show results' : `Show ${countText(count)} ${count === 1 ? 'result' : 'results'}`;
  };
  // Count what the drawer's choices would show, without leaving the page; the last answer wins.
  let counting = null;
  form.addEventListener('change', async () => {
    if (!dialog.open) return;
    const next = readForm(form, filters, { quiet: true });
    if (!next) return;
    counting?.abort();
    counting = new AbortController();
    try {
      const page = await api.get('/listings', { query: { ...next, limit: 1 }, signal: counting.signal });
      showCount(totalOf(page) ?? (page?.items?.length || 0));
    } catch (error) {
      if (error?.name !== 'AbortError') showCount(null);
    }
  });
  return { opener, dialog, body, showCount };
}
