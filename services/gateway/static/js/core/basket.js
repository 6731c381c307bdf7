// The basket lives in localStorage: lines of {listing_id, quantity, options} plus what the
// customer saw when adding (title, price, image) for display. Prices are only ever a preview:
// the server prices every line again at checkout.

const KEY = 'market.basket';
const CHANGE = 'basket-change';

function read() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(data) ? data : [];
  } catch {
    return [];
  }
}

function write(lines) {
  localStorage.setItem(KEY, JSON.stringify(lines));
  window.dispatchEvent(new CustomEvent(CHANGE));
}

/** The same piece with the same options is one line. */
function lineKey(listingId, options) {
  const { ring_size_mm = null, engraving_text = null, chain_length_cm = null } = options || {};
  return JSON.stringify([listingId, ring_size_mm, engraving_text, chain_length_cm]);
}

export function lines() {
  return read();
}

export function count() {
  return read().reduce((sum, line) => sum + line.quantity, 0);
}

/** add({listing_id, quantity, options, title, price, unit_extra, image, maker_id}) */
export function add(line) {
  const all = read();
  const key = lineKey(line.listing_id, line.options);
  const existing = all.find((item) => item.key === key);
  if (existing) existing.quantity += line.quantity;
  else all.push({ ...line, key });
  write(all);
}

export function setQuantity(key, quantity) {
  write(read().map((line) => (line.key === key ? { ...line, quantity } : line)));
}

export function remove(key) {
  write(read().filter((line) => line.key !== key));
}

export function update(key, fields) {
  write(read().map((line) => (line.key === key ? { ...line, ...fields } : line)));
}

export function clear() {
  write([]);
}

/** The order lines the API takes. */
export function orderLines() {
  return read().map(({ listing_id, quantity, options }) => ({
    listing_id,
    quantity,
    options: cleanOptions(options),
  }));
}

function cleanOptions(options = {}) {
  const out = {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== null && value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

export function onChange(listener) {
  window.addEventListener(CHANGE, listener);
  // Another tab changed the basket.
  window.addEventListener('storage', (event) => {
    if (event.key === KEY) listener();
  });
}
