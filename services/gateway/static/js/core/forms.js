// Form building blocks with labels, hints and error slots, and the mapping of problem+json
// errors back onto the fields they name: an error with loc ["body", "metals", 0, "fineness"]
// lands next to the element marked data-loc="metals.0.fineness" (or the nearest enclosing
// data-loc: "metals.0", then "metals"), and every error is also listed in a summary at the top.

import { h, uid } from './dom.js';
import { ApiError } from './api.js';
import { announce } from './live.js';

// --- fields -----------------------------------------------------------------------------------

function describedBy(...ids) {
  return ids.filter(Boolean).join(' ') || null;
}

/**
 * A labelled control inside a `.field` wrapper.
 * opts: {label, name, loc, type, value, hint, required, control (an element to use instead of an
 * input), attrs (extra attributes for the input)}
 */
export function field(opts) {
  const id = opts.id || uid(opts.name || 'field');
  const hintId = opts.hint ? `${id}-hint` : null;
  const loc = opts.loc ?? opts.name;
  const control = opts.control || h('input', {
    id,
    name: opts.name,
    type: opts.type || 'text',
    value: opts.value ?? '',
    required: opts.required,
    ...opts.attrs,
  });
  control.id = id;
  if (opts.name && !control.name) control.name = opts.name;
  if (loc) control.dataset.loc = loc;
  const hint = describedBy(hintId);
  if (hint) control.setAttribute('aria-describedby', hint);
  return h('div', { class: `field ${opts.class || ''}`.trim(), dataset: loc ? { fieldLoc: loc } : {} },
    h('label', { for: id }, opts.label, opts.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    opts.hint ? h('p', { class: 'field__hint', id: hintId }, opts.hint) : null,
    control,
  );
}

export function textarea(opts) {
  const control = h('textarea', { name: opts.name, rows: opts.rows || 4, required: opts.required, ...opts.attrs });
  control.value = opts.value ?? '';
  return field({ ...opts, control });
}

/** options: [[value, label], ...]; `placeholder` adds an empty first choice. */
export function select(opts) {
  const control = h('select', { name: opts.name, required: opts.required, ...opts.attrs },
    opts.placeholder !== undefined ? h('option', { value: '' }, opts.placeholder) : null,
    opts.options.map(([value, label]) => h('option', { value, selected: String(value) === String(opts.value ?? '') }, label)),
  );
  return field({ ...opts, control });
}

export function checkbox(opts) {
  const id = opts.id || uid(opts.name || 'check');
  const hintId = opts.hint ? `${id}-hint` : null;
  const loc = opts.loc ?? opts.name;
  const input = h('input', {
    id, type: 'checkbox', name: opts.name, checked: Boolean(opts.checked), value: opts.value ?? 'on',
    'aria-describedby': hintId, dataset: { loc }, ...opts.attrs,
  });
  return h('div', { class: 'field field--check', dataset: { fieldLoc: loc } },
    input,
    h('label', { for: id }, opts.label),
    opts.hint ? h('p', { class: 'field__hint', id: hintId }, opts.hint) : null,
  );
}

/** A group of checkboxes sharing one name, in a fieldset with a legend. */
export function checkboxGroup({ legend, name, options, values = [], loc, hint }) {
  const chosen = new Set(values.map(String));
  return h('fieldset', { class: 'field field--group', dataset: { fieldLoc: loc ?? name, loc: loc ?? name } },
    h('legend', {}, legend),
    hint ? h('p', { class: 'field__hint' }, hint) : null,
    h('div', { class: 'check-list' }, options.map(([value, label]) => {
      const id = uid(name);
      return h('span', { class: 'check-list__item' },
        h('input', { id, type: 'checkbox', name, value, checked: chosen.has(String(value)) }),
        h('label', { for: id }, label));
    })),
  );
}

/** Radio buttons in a fieldset. */
export function radioGroup({ legend, name, options, value, loc, hint }) {
  return h('fieldset', { class: 'field field--group', dataset: { fieldLoc: loc ?? name, loc: loc ?? name } },
    h('legend', {}, legend),
    hint ? h('p', { class: 'field__hint' }, hint) : null,
    h('div', { class: 'check-list' }, options.map(([optionValue, label]) => {
      const id = uid(name);
      return h('span', { class: 'check-list__item' },
        h('input', { id, type: 'radio', name, value: optionValue, checked: String(optionValue) === String(value) }),
        h('label', { for: id }, label));
    })),
  );
}

// --- reading values -----------------------------------------------------------------------------

export function text(form, name) {
  const el = form.elements.namedItem(name);
  return el ? String(el.value).trim() : '';
}

export function optionalText(form, name) {
  return text(form, name) || null;
}

export function checked(form, name) {
  const el = form.elements.namedItem(name);
  return Boolean(el && el.checked);
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((el) => el.value);
}

export function radioValue(form, name) {
  return form.querySelector(`input[name="${CSS.escape(name)}"]:checked`)?.value ?? null;
}

/** A number field: null when empty, the number otherwise (NaN when not a number). */
export function number(form, name) {
  const value = text(form, name);
  return value === '' ? null : Number(value);
}

/** "a, b,, c" -> ["a", "b", "c"] */
export function list(form, name, separator = /[,\n]/) {
  return text(form, name).split(separator).map((part) => part.trim()).filter(Boolean);
}

// --- errors -----------------------------------------------------------------------------------

const PREFIXES = new Set(['body', 'query', 'path']);

/** The loc of an error without its "body" prefix and without pydantic's union tags. */
export function cleanLoc(loc) {
  const parts = Array.isArray(loc) ? [...loc] : [];
  if (parts.length && PREFIXES.has(parts[0])) parts.shift();
  return parts.filter((part) => !/[[\](]/.test(String(part)));
}

function findTarget(form, loc) {
  const parts = cleanLoc(loc);
  for (let n = parts.length; n > 0; n -= 1) {
    const key = parts.slice(0, n).join('.');
    const target = form.querySelector(`[data-loc="${CSS.escape(key)}"]`);
    if (target) return target;
  }
  return null;
}

function labelFor(target) {
  const wrapper = target.closest('[data-field-loc]');
  const label = wrapper?.querySelector(':scope > label, :scope > legend, :scope > [data-label]');
  return label ? label.textContent.replace(/\s*\*$/, '').trim() : '';
}

export function clearErrors(form, scope = form) {
  scope.querySelectorAll('.field-error').forEach((el) => el.remove());
  scope.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  });
  scope.querySelectorAll('.has-error').forEach((el) => el.classList.remove('has-error'));
  const summary = form.querySelector(':scope > .form-errors');
  if (summary) summary.remove();
}

// The message in words; its code travels in the element's data-code, never as text.
function errorMessage(error) {
  return error.msg || 'This value is not accepted.';
}

/** "min_price" -> "Min price": the name of a field no label on the page names. */
function looseLabel(loc) {
  const last = cleanLoc(loc).filter((part) => typeof part === 'string').at(-1) || '';
  const text = last.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function attachError(target, error) {
  const wrapper = target.closest('[data-field-loc]') || target;
  wrapper.classList.add('has-error');
  const id = uid('err') + '-error';
  const message = h('p', { class: 'field-error', id, dataset: { code: error.code || '' } }, errorMessage(error));
  const control = wrapper.matches('input, select, textarea') ? wrapper : wrapper.querySelector('input, select, textarea');
  if (control && (wrapper.matches('.field') && !wrapper.matches('.field--group'))) {
    control.setAttribute('aria-invalid', 'true');
    const ids = [control.getAttribute('aria-describedby'), id].filter(Boolean).join(' ');
    control.setAttribute('aria-describedby', ids);
    control.after(message);
    // On input rather than change: a change fires on blur, and a summary folding away between
    // the press and release of a button would move the button from under the pointer.
    control.addEventListener('input', () => settle(control, wrapper, message), { once: true });
  } else {
    const heading = wrapper.querySelector(':scope > legend, :scope > h2, :scope > h3, :scope > h4, :scope > label');
    if (heading) heading.after(message);
    else if (wrapper.matches('li')) wrapper.append(message);
    else wrapper.prepend(message);
  }
  return { id, control: control || wrapper };
}

/**
 * Once a control with an error is edited, its error is old news: it goes, with its line in the
 * summary (and the summary when nothing is left in it). The server judges the new value.
 */
function settle(control, wrapper, message) {
  if (!message.isConnected) return;
  message.remove();
  wrapper.classList.remove('has-error');
  control.removeAttribute('aria-invalid');
  const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== message.id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
  const summary = control.form?.querySelector(':scope > .form-errors');
  summary?.querySelector(`a[href="#${CSS.escape(control.id)}"]`)?.closest('li')?.remove();
  if (summary && !summary.querySelector('li')) summary.remove();
}

/**
 * Show an error on a form: each `errors[]` entry next to the field its loc names, and a summary
 * with all of them at the top (role=alert, focused). Returns nothing; never throws.
 */
export function showErrors(form, error, { focus = true, scope = form } = {}) {
  clearErrors(form, scope);
  const problem = error instanceof ApiError ? error : new ApiError(0, { detail: String(error?.message || error) });
  if (!(error instanceof ApiError)) console.error(error);
  const items = problem.errors.map((entry) => {
    const target = findTarget(scope, entry.loc);
    if (!target) return { entry, label: looseLabel(entry.loc) };
    const { control } = attachError(target, entry);
    return { entry, label: labelFor(target), control };
  });

  const title = problem.status === 422 && problem.errors.length
    ? `Please correct ${problem.errors.length === 1 ? 'this' : `these ${problem.errors.length} things`}`
    : problem.title;
  const summary = h('div', { class: 'form-errors', role: 'alert', tabindex: '-1', dataset: { code: problem.code || '' } },
    h('p', { class: 'form-errors__title' }, title),
    problem.detail && !problem.errors.length ? h('p', {}, problem.detail) : null,
    items.length ? h('ul', {}, items.map(({ entry, label, control }) => h('li', { dataset: { code: entry.code || '' } },
      control?.id
        ? h('a', { href: `#${control.id}`, onclick: (event) => { event.preventDefault(); control.focus(); } }, label ? `${label}: ` : '', errorMessage(entry))
        : [label ? `${label}: ` : '', errorMessage(entry)]))) : null,
  );
  form.prepend(summary);
  if (focus) summary.focus();
  announce(title);
}

/** Errors for the required fields left empty (the forms use novalidate, to show errors this way). */
function missingRequired(form) {
  return [...form.querySelectorAll('input[required], select[required], textarea[required]')]
    .filter((el) => !el.disabled && !String(el.value).trim())
    .map((el) => ({ loc: (el.dataset.loc || el.name || '').split('.'), msg: 'Please fill this in', code: 'required' }));
}

/**
 * Run `action` for a submit button: disables it and marks the form busy meanwhile, shows any
 * error on the form. Resolves with the action's result, or undefined when it failed (or when a
 * required field is empty, which is said without calling the API).
 */
export async function submitting(form, action, { button, busyLabel, scope = form } = {}) {
  const submit = button || form.querySelector('button[type="submit"]');
  const label = submit?.textContent;
  clearErrors(form, scope);
  const missing = missingRequired(form);
  if (missing.length) {
    showErrors(form, new ApiError(422, { errors: missing }), { scope });
    return undefined;
  }
  form.setAttribute('aria-busy', 'true');
  if (submit) {
    submit.disabled = true;
    if (busyLabel) submit.textContent = busyLabel;
  }
  try {
    return await action();
  } catch (error) {
    if (error?.name === 'AbortError') return undefined;
    showErrors(form, error, { scope });
    return undefined;
  } finally {
    form.removeAttribute('aria-busy');
    if (submit) {
      submit.disabled = false;
      if (busyLabel) submit.textContent = label;
    }
  }
}
