// A list of rows of fields the user can add to and remove from (metals, stones, sourcing
// claims, production partners). Each row is a fieldset marked data-loc="<name>.<index>" and
// each field data-loc="<name>.<index>.<key>", so API errors land on the right row and field.

import { h, uid } from '../core/dom.js';
import { announce } from '../core/live.js';

/**
 * fields: [{key, label, type: 'text'|'number'|'date'|'select'|'checkbox'|'checks', options,
 *           hint, attrs, placeholder}]
 * Returns {element, values()}.
 */
export function repeater({ legend, name, itemLabel, fields, values = [], addLabel, hint, blank = {} }) {
  const rows = h('div', { class: 'repeater__rows' });
  const element = h('fieldset', { class: 'repeater', dataset: { loc: name, fieldLoc: name } },
    h('legend', {}, legend),
    hint ? h('p', { class: 'field__hint' }, hint) : null,
    rows,
    h('button', { type: 'button', class: 'button button--small button--secondary', onclick: () => addRow(blank, true) }, addLabel));

  function renumber() {
    [...rows.children].forEach((row, index) => {
      row.dataset.loc = `${name}.${index}`;
      row.dataset.fieldLoc = row.dataset.loc;
      row.querySelector(':scope > legend').textContent = `${itemLabel} ${index + 1}`;
      row.querySelectorAll('[data-key]').forEach((el) => {
        el.dataset.loc = `${name}.${index}.${el.dataset.key}`;
        const wrapper = el.closest('[data-field-loc]');
        if (wrapper && wrapper !== row) wrapper.dataset.fieldLoc = el.dataset.loc;
      });
    });
  }

  function addRow(value, focus = false) {
    const row = h('fieldset', { class: 'repeater__row' }, h('legend', {}, itemLabel),
      h('div', { class: 'repeater__fields' }, fields.map((spec) => control(spec, value?.[spec.key]))),
      h('button', {
        type: 'button', class: 'link-button repeater__remove',
        onclick: () => {
          row.remove();
          renumber();
          announce(`${itemLabel} removed`);
          element.querySelector(':scope > button')?.focus();
        },
      }, `Remove this ${itemLabel.toLowerCase()}`));
    rows.append(row);
    renumber();
    if (focus) row.querySelector('input, select')?.focus();
  }

  values.forEach((value) => addRow(value));

  function values_() {
    return [...rows.children].map((row) => {
      const item = {};
      for (const spec of fields) item[spec.key] = read(row, spec);
      return item;
    });
  }

  return { element, values: values_ };
}

function control(spec, value) {
  const id = uid(spec.key);
  if (spec.type === 'checkbox') {
    return h('div', { class: 'field field--check', dataset: { fieldLoc: spec.key } },
      h('input', { id, type: 'checkbox', checked: Boolean(value), dataset: { key: spec.key } }),
      h('label', { for: id }, spec.label));
  }
  if (spec.type === 'checks') {
    const chosen = new Set(value || []);
    return h('fieldset', { class: 'field field--group', dataset: { key: spec.key, fieldLoc: spec.key } },
      h('legend', {}, spec.label),
      h('div', { class: 'check-list' }, spec.options.map(([optionValue, label]) => {
        const optionId = uid(spec.key);
        return h('span', { class: 'check-list__item' },
          h('input', { id: optionId, type: 'checkbox', value: optionValue, checked: chosen.has(optionValue) }),
          h('label', { for: optionId }, label));
      })));
  }
  const hintId = spec.hint ? `${id}-hint` : null;
  let input;
  if (spec.type === 'select') {
    input = h('select', { id, dataset: { key: spec.key } },
      spec.placeholder !== undefined ? h('option', { value: '' }, spec.placeholder) : null,
      spec.options.map(([optionValue, label]) => h('option', { value: optionValue, selected: String(optionValue) === String(value ?? '') }, label)));
  } else {
    input = h('input', { id, type: spec.type || 'text', value: value ?? '', dataset: { key: spec.key }, ...spec.attrs });
  }
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field', dataset: { fieldLoc: spec.key } },
    h('label', { for: id }, spec.label),
    spec.hint ? h('p', { class: 'field__hint', id: hintId }, spec.hint) : null,
    input);
}

function read(row, spec) {
  const el = row.querySelector(`[data-key="${spec.key}"]`);
  if (!el) return null;
  if (spec.type === 'checkbox') return el.checked;
  if (spec.type === 'checks') return [...el.querySelectorAll('input:checked')].map((input) => input.value);
  const value = el.value.trim();
  if (spec.type === 'number') return value === '' ? null : Number(value);
  return value || null;
}
