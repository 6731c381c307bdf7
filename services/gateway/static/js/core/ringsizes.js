// Ring sizes: the one conversion table, identical to RING_SIZES in services/catalogue/domain.py
// (UK size, inner circumference in mm per ISO 8653, US size at that circumference). The API
// stores millimetres; UK letters and US sizes are views over them, read from this table.

export const RING_SIZES = [
  ['A', 37.5, 0.37], ['A½', 38.125, 0.62],
  ['B', 38.75, 0.86], ['B½', 39.375, 1.11],
  ['C', 40.0, 1.35], ['C½', 40.625, 1.6],
  ['D', 41.25, 1.84], ['D½', 41.875, 2.09],
  ['E', 42.5, 2.33], ['E½', 43.125, 2.58],
  ['F', 43.75, 2.82], ['F½', 44.375, 3.07],
  ['G', 45.0, 3.31], ['G½', 45.625, 3.56],
  ['H', 46.25, 3.8], ['H½', 46.875, 4.04],
  ['I', 47.5, 4.29], ['I½', 48.125, 4.53],
  ['J', 48.75, 4.78], ['J½', 49.375, 5.02],
  ['K', 50.0, 5.27], ['K½', 50.625, 5.51],
  ['L', 51.25, 5.76], ['L½', 51.875, 6.0],
  ['M', 52.5, 6.25], ['M½', 53.125, 6.49],
  ['N', 53.75, 6.74], ['N½', 54.375, 6.98],
  ['O', 55.0, 7.23], ['O½', 55.625, 7.47],
  ['P', 56.25, 7.72], ['P½', 56.875, 7.96],
  ['Q', 57.5, 8.21], ['Q½', 58.125, 8.45],
  ['R', 58.75, 8.7], ['R½', 59.375, 8.94],
  ['S', 60.0, 9.18], ['S½', 60.625, 9.43],
  ['T', 61.25, 9.67], ['T½', 61.875, 9.92],
  ['U', 62.5, 10.16], ['U½', 63.125, 10.41],
  ['V', 63.75, 10.65], ['V½', 64.375, 10.9],
  ['W', 65.0, 11.14], ['W½', 65.625, 11.39],
  ['X', 66.25, 11.63], ['X½', 66.875, 11.88],
  ['Y', 67.5, 12.12], ['Y½', 68.125, 12.37],
  ['Z', 68.75, 12.61], ['Z½', 69.375, 12.86],
  ['Z+1', 70.0, 13.1], ['Z+1½', 70.625, 13.35],
  ['Z+2', 71.25, 13.59], ['Z+2½', 71.875, 13.84],
  ['Z+3', 72.5, 14.08], ['Z+3½', 73.125, 14.32],
  ['Z+4', 73.75, 14.57], ['Z+4½', 74.375, 14.81],
  ['Z+5', 75.0, 15.06], ['Z+5½', 75.625, 15.3],
  ['Z+6', 76.25, 15.55],
].map(([uk, mm, us]) => ({ uk, mm, us }));

export const MIN_MM = RING_SIZES[0].mm;
export const MAX_MM = RING_SIZES[RING_SIZES.length - 1].mm;
const EPSILON = 1e-9;

function inTable(mm) {
  const value = Number(mm);
  return Number.isFinite(value) && value >= MIN_MM - EPSILON && value <= MAX_MM + EPSILON;
}

/** The nearest UK size; exactly between two sizes, the larger (as the catalogue does). */
export function ukSize(mm) {
  if (!inTable(mm)) return null;
  let best = null;
  for (const size of RING_SIZES) {
    const distance = Math.abs(size.mm - mm);
    if (best === null || distance <= best.distance + EPSILON) best = { size, distance };
  }
  return best.size.uk;
}

/** The US size at this circumference, to the nearest quarter. */
export function usSize(mm) {
  if (!inTable(mm)) return null;
  for (let i = 0; i < RING_SIZES.length - 1; i += 1) {
    const a = RING_SIZES[i];
    const b = RING_SIZES[i + 1];
    if (mm >= a.mm - EPSILON && mm <= b.mm + EPSILON) {
      const us = a.us + ((b.us - a.us) * (mm - a.mm)) / (b.mm - a.mm);
      return Math.round(us * 4) / 4;
    }
  }
  return RING_SIZES[RING_SIZES.length - 1].us;
}

export function formatMm(mm) {
  return `${Number(mm).toLocaleString('en-GB', { maximumFractionDigits: 1 })} mm`;
}

/** "UK N½ · 54.4 mm · US 7" */
export function describe(mm) {
  const uk = ukSize(mm);
  const us = usSize(mm);
  const parts = [];
  parts.push(uk ? `UK ${uk}` : null, formatMm(mm), us !== null ? `US ${us}` : null);
  return parts.filter(Boolean).join(' · ');
}

/**
 * The sizes a listing offers: every table size inside its {min, max} range (mm). A range
 * narrower than one step offers its own bounds.
 */
export function sizesInRange(range) {
  if (!range) return [];
  const min = Number(range.min);
  const max = Number(range.max);
  const sizes = RING_SIZES.filter((size) => size.mm >= min - EPSILON && size.mm <= max + EPSILON)
    .map((size) => size.mm);
  if (sizes.length) return sizes;
  return [...new Set([min, max])];
}

/**
 * A size as an order sends it: orders takes millimetres to two decimals, while half sizes in
 * the table have three (54.375). Round to 0.01, towards the inside of the offered range at its
 * ends, so the value stays in range and still reads as the same UK size.
 */
export function forOrder(mm, range) {
  const value = Number(mm);
  if (range && Math.abs(value - Number(range.min)) < EPSILON) return Math.ceil(value * 100 - EPSILON) / 100;
  if (range && Math.abs(value - Number(range.max)) < EPSILON) return Math.floor(value * 100 + EPSILON) / 100;
  return Math.round(value * 100) / 100;
}
