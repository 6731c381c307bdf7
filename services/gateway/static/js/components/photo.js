// A listing photo as the media service renders it: WebP renditions 160, 480, 960 and 1600 px
// wide (never enlarged, so a small original's wider renditions are as wide as the original),
// its size, and a tiny placeholder shown blurred until the photo itself has loaded.

import { h } from '../core/dom.js';

export const RENDITION_WIDTHS = [160, 480, 960, 1600];

/** A photo the page can show: one with renditions (a photo still processing has none). */
export function isShowable(photo) {
  return Boolean(photo?.urls && RENDITION_WIDTHS.some((width) => photo.urls[width]));
}

/** The listing's photos that can be shown, main photo first. */
export function showablePhotos(listing) {
  return (listing?.photos || []).filter(isShowable);
}

/** The URL of the rendition `width` px wide, or the nearest narrower one there is. */
export function renditionUrl(photo, width) {
  const widths = RENDITION_WIDTHS.filter((w) => w <= width).reverse();
  for (const w of [...widths, ...RENDITION_WIDTHS]) {
    if (photo.urls?.[w]) return photo.urls[w];
  }
  return null;
}

/**
 * "…/160 160w, …/480 480w, …": each rendition with the width it really has (a rendition is
 * never wider than the original), each width once.
 */
export function srcset(photo) {
  const seen = new Set();
  const candidates = [];
  for (const nominal of RENDITION_WIDTHS) {
    const url = photo.urls?.[nominal];
    if (!url) continue;
    const width = photo.width ? Math.min(nominal, photo.width) : nominal;
    if (seen.has(width) || seen.has(url)) continue;
    seen.add(width);
    seen.add(url);
    candidates.push(`${url} ${width}w`);
  }
  return candidates.join(', ');
}

/** The photo's width and height for the img attributes, scaled down to `width` at most. */
function dimensions(photo, width) {
  if (!photo.width || !photo.height) return {};
  const scale = Math.min(1, width / photo.width);
  return { width: Math.round(photo.width * scale), height: Math.round(photo.height * scale) };
}

/** Show `photo` in `img` (also used to switch the main image of a gallery). */
export function setPhoto(img, photo, { alt = '', sizes, fallbackWidth = 960 } = {}) {
  const frame = img.parentElement;
  frame?.classList.remove('is-loaded');
  if (photo.placeholder) frame?.style.setProperty('--placeholder', `url("${photo.placeholder}")`);
  else frame?.style.removeProperty('--placeholder');
  const { width, height } = dimensions(photo, fallbackWidth);
  if (width) {
    img.width = width;
    img.height = height;
  }
  img.alt = alt;
  img.sizes = sizes;
  img.srcset = srcset(photo);
  img.src = renditionUrl(photo, fallbackWidth);
}

/**
 * A photo in a frame whose background is the blurred placeholder until the image has loaded.
 * opts: {alt, sizes (the width the image is shown at, as the img sizes attribute), className
 * (for the frame), eager (the one image that should not wait: a page's main photo)}.
 */
export function photoImage(photo, { alt = '', sizes = '100vw', className = '', eager = false } = {}) {
  const img = h('img', {
    class: 'photo__img',
    loading: eager ? 'eager' : 'lazy',
    fetchpriority: eager ? 'high' : null,
    decoding: 'async',
  });
  const frame = h('span', { class: `photo ${className}`.trim() }, img);
  img.addEventListener('load', () => frame.classList.add('is-loaded'));
  setPhoto(img, photo, { alt, sizes });
  return frame;
}
