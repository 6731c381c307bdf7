// A tiny DOM builder. Text always goes in as text nodes, never as HTML, so nothing a maker or
// customer typed can inject markup.

let idCounter = 0;

/** A unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * h('button', {class: 'button', onclick: fn, disabled: true}, 'Save')
 * Attributes: `class`, `dataset` (object), `on<event>` (function), booleans (true sets the
 * attribute, false/null/undefined leaves it out), anything else via setAttribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'value' && 'value' in el && el.tagName !== 'BUTTON') {
      el.value = value;
      el.setAttribute('value', value);
    } else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Append children: strings, numbers, nodes, arrays of them; null/false are skipped. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A list of elements, or `empty` when there are none. */
export function listOr(items, render, empty) {
  return items.length ? items.map(render) : empty;
}

/** A definition list from [term, description] pairs, skipping empty descriptions. */
export function dl(pairs, className = 'facts') {
  const rows = pairs.filter(([, value]) => value !== null && value !== undefined && value !== '');
  return h('dl', { class: className }, rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}
