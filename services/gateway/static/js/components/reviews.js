// Reviews: the section on product and maker pages (the rating summary with its histogram, then
// the reviews newest first, each with the maker's reply and a way to report it), the form a
// customer reviews a delivered piece with (order page), the maker's replies (dashboard) and the
// operators' queue of reported reviews (ops console). Everything people wrote goes in as text.

import * as api from '../core/api.js';
import { h, replace, uid } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import * as session from '../core/session.js';
import { announce } from '../core/live.js';
import { words } from '../core/messages.js';
import { empty, errorBox, loading } from './ui.js';

export const REVIEW_WORDS = {
  title: 'Reviews',
  loading: 'Loading reviews…',
  none: 'No reviews yet. Only customers who received a piece can review it.',
  verified: 'Verified purchase',
  more: 'Show more reviews',
  reply: (maker) => `Reply from ${maker || 'the maker'}`,
  report: 'Report this review',
  reportReason: 'What is wrong with this review?',
  reportHint: 'For example: abusive language, or someone’s personal details.',
  reportSend: 'Send report',
  reported: 'Thank you. Our team will look at this review.',
  writeTitle: 'Review this piece',
  written: 'You reviewed this piece. Thank you!',
  windowClosed: 'The time to review this piece has passed.',
  ratingLegend: 'Your rating',
  reviewTitle: 'Headline',
  reviewBody: 'Your review',
  reviewBodyHint: 'What is it like to wear? How is the finish? (up to 5,000 characters)',
  publish: 'Publish review',
  published: 'Your review is published.',
  replyLabel: 'Your reply',
  replyHint: 'You can reply once; your reply is shown under the review.',
  replySend: 'Publish reply',
  replied: 'Your reply is published.',
  hideReason: 'Why hide it? (kept on record)',
  hide: 'Hide review',
  hidden: 'The review is hidden and no longer counts in ratings.',
  queueEmpty: 'No reported reviews are waiting.',
  photosLegend: 'Photos (optional)',
  photosHint: 'Up to 6 photos of the piece as you wear it: JPEG, PNG, WebP or HEIC, at least 800 pixels on the shorter side.',
  photosChoose: 'Add photos',
  photoUploading: (name) => `Uploading ${name}…`,
  photoProcessing: (name) => `Preparing ${name}…`,
  photoReady: (name) => `${name} is ready.`,
  photoAlt: (n) => `Describe photo ${n}`,
  photoRemove: (name) => `Remove ${name}`,
  photosWaiting: 'A photo is still being prepared. Wait until it says it is ready, or remove it.',
  photosTooMany: 'A review can show at most 6 photos.',
};

const MAX_REVIEW_PHOTOS = 6;
const FIRST_POLL_MS = 600;
const LONGEST_POLL_MS = 4000;
const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** The same error with every message in words people read where reviews are written. */
function humanReviewError(error) {
  if (!(error instanceof api.ApiError)) return error;
  return new api.ApiError(error.status, {
    ...error.problem,
    detail: words(error.code, 'reviews') || error.detail,
    errors: error.errors.map((entry) => ({ ...entry, msg: words(entry.code, 'reviews') || entry.msg })),
  });
}

const STARS = ['1', '2', '3', '4', '5'];

function stars(rating) {
  const full = Math.max(0, Math.min(5, Math.round(Number(rating) || 0)));
  return '★'.repeat(full) + '☆'.repeat(5 - full);
}

function average(value) {
  return Number(value).toFixed(1).replace(/\.0$/, '');
}

// Set through the CSSOM: the Content-Security-Policy refuses style attributes.
function fill(share) {
  const bar = h('span', { class: 'histogram__fill' });
  bar.style.width = `${share}%`;
  return bar;
}

/** The summary: average, count, and a bar per rating, 5 stars first. */
export function histogram(summary) {
  const count = summary?.count || 0;
  if (!count) return h('p', { class: 'reviews__summary reviews__summary--none', dataset: { ratingCount: '0' } }, REVIEW_WORDS.none);
  const bars = [...STARS].reverse().map((stars_) => {
    const n = summary.histogram?.[stars_] || 0;
    const share = Math.round((n / count) * 100);
    return h('li', { class: 'histogram__row', dataset: { stars: stars_, count: String(n) } },
      h('span', { class: 'histogram__label' }, `${stars_} star${stars_ === '1' ? '' : 's'}`),
      h('span', { class: 'histogram__bar', 'aria-hidden': 'true' }, fill(share)),
      h('span', { class: 'histogram__count' }, `${n}`, h('span', { class: 'visually-hidden' }, ` review${n === 1 ? '' : 's'}`)));
  });
  return h('div', { class: 'reviews__summary', dataset: { ratingCount: String(count), ratingAverage: String(summary.average) } },
    h('p', { class: 'reviews__average' },
      h('span', { class: 'rating__stars', 'aria-hidden': 'true' }, stars(summary.average)),
      ` ${average(summary.average)} out of 5 · ${count} review${count === 1 ? '' : 's'}`),
    h('ul', { class: 'histogram', 'aria-label': 'Reviews by rating' }, bars));
}

function reportForm(review) {
  const form = h('form', { class: 'reviews__report', hidden: true },
    forms.textarea({ label: REVIEW_WORDS.reportReason, name: 'reason', hint: REVIEW_WORDS.reportHint, required: true, rows: 2, attrs: { maxlength: 500 } }),
    h('button', { type: 'submit', class: 'button button--small' }, REVIEW_WORDS.reportSend));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await forms.submitting(form, async () => {
      await api.post(`/reviews/${review.id}/report`, { reason: forms.text(form, 'reason') });
      return true;
    });
    if (done) {
      replace(form, h('p', { class: 'notice', role: 'status' }, REVIEW_WORDS.reported));
    }
  });
  return form;
}

/**
 * One review as text: stars, headline, body, photos, the maker's reply. `actions`: elements
 * under it (report, reply, hide).
 */
export function reviewItem(review, { makerName, actions = [] } = {}) {
  return h('li', { class: 'review', dataset: { reviewId: review.id, rating: String(review.rating) } },
    h('p', { class: 'review__rating' },
      h('span', { class: 'rating__stars', 'aria-hidden': 'true' }, stars(review.rating)),
      h('span', { class: 'visually-hidden' }, `Rated ${review.rating} out of 5`)),
    h('h3', { class: 'review__title' }, review.title),
    h('p', { class: 'review__meta' }, `${REVIEW_WORDS.verified} · ${fmt.day(review.published_at)}`),
    review.body ? review.body.split(/\n{2,}/).map((para) => h('p', { class: 'review__body' }, para)) : null,
    review.photos?.length ? h('ul', { class: 'review__photos' }, review.photos.map((photo) => h('li', {},
      h('img', { src: photo.urls?.['480'] || photo.urls?.['160'] || '', alt: photo.alt || '', loading: 'lazy', width: 160 })))) : null,
    review.reply ? h('div', { class: 'review__reply' },
      h('p', { class: 'review__reply-by' }, REVIEW_WORDS.reply(makerName)),
      review.reply.body.split(/\n{2,}/).map((para) => h('p', {}, para))) : null,
    actions);
}

function reportControl(review) {
  if (!session.user()) return null;
  const form = reportForm(review);
  const toggle = h('button', { type: 'button', class: 'link-button review__report-toggle' }, REVIEW_WORDS.report);
  toggle.addEventListener('click', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) form.querySelector('textarea')?.focus();
  });
  return h('div', { class: 'review__actions' }, toggle, form);
}

/**
 * The reviews section of a product page (`{listingId}`) or a maker page (`{makerId}`): it loads
 * itself. `makerName` names the replies.
 */
export function reviewsSection({ listingId, makerId, makerName } = {}) {
  const body = h('div', { class: 'reviews__content' }, loading(REVIEW_WORDS.loading));
  const node = h('section', { class: 'product__section reviews', id: 'reviews', 'aria-labelledby': 'reviews-title' },
    h('h2', { id: 'reviews-title' }, REVIEW_WORDS.title), body);
  const query = listingId ? { listing_id: listingId } : { maker_id: makerId };
  const list = h('ol', { class: 'reviews__list' });

  async function page(cursor) {
    const found = await api.get('/reviews', { query: { ...query, limit: 10, cursor } });
    list.append(...found.items.map((review) => reviewItem(review, { makerName, actions: [reportControl(review)] })));
    return found;
  }

  (async () => {
    try {
      const first = await page(undefined);
      const more = h('button', { type: 'button', class: 'button button--secondary', hidden: !first.next_cursor }, REVIEW_WORDS.more);
      let cursor = first.next_cursor;
      more.addEventListener('click', async () => {
        more.disabled = true;
        const next = await page(cursor).catch(() => null);
        more.disabled = false;
        cursor = next?.next_cursor;
        more.hidden = !cursor;
      });
      replace(body, histogram(first.rating_summary), first.items.length ? list : null, more);
    } catch (error) {
      replace(body, errorBox(error));
    }
  })();
  return node;
}

/**
 * "Review this piece" for each delivered piece of a maker order (order page): the form while it
 * may be reviewed, a thank-you once it is. `titles` maps a listing id to the piece's title.
 */
export function writeReviews(makerOrder, titles = {}) {
  const node = h('div', { class: 'write-reviews', dataset: { makerOrderId: makerOrder.id } });
  (async () => {
    try {
      const found = await api.get('/reviews/reviewable', { query: { maker_order_id: makerOrder.id } });
      replace(node, found.items.map((item) => writeReview(item, titles[item.listing_id])));
    } catch (error) {
      replace(node, errorBox(error));
    }
  })();
  return node;
}

function writeReview(item, title) {
  const heading = title ? `${REVIEW_WORDS.writeTitle}: ${title}` : REVIEW_WORDS.writeTitle;
  const box = h('div', { class: 'panel write-review', dataset: { listingId: item.listing_id } });
  if (item.review_id) {
    return replace(box, h('p', { class: 'write-review__done' }, title ? `${title}: ${REVIEW_WORDS.written}` : REVIEW_WORDS.written));
  }
  if (new Date(item.review_until) < new Date()) {
    return replace(box, h('p', {}, title ? `${title}: ${REVIEW_WORDS.windowClosed}` : REVIEW_WORDS.windowClosed));
  }
  const photos = reviewPhotos();
  const form = h('form', { class: 'form write-review__form', novalidate: true },
    h('h3', {}, heading),
    forms.radioGroup({
      legend: REVIEW_WORDS.ratingLegend,
      name: 'rating',
      loc: 'rating',
      options: [...STARS].reverse().map((n) => [n, `${stars(n)} ${n} star${n === '1' ? '' : 's'}`]),
      value: '5',
    }),
    forms.field({ label: REVIEW_WORDS.reviewTitle, name: 'title', required: true, attrs: { maxlength: 120 } }),
    forms.textarea({ label: REVIEW_WORDS.reviewBody, name: 'body', hint: REVIEW_WORDS.reviewBodyHint, attrs: { maxlength: 5000 } }),
    photos.element,
    h('button', { type: 'submit', class: 'button' }, REVIEW_WORDS.publish));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const review = await forms.submitting(form, async () => {
      if (photos.pending()) throw new api.ApiError(422, { detail: REVIEW_WORDS.photosWaiting });
      try {
        return await api.post('/reviews', {
          maker_order_id: item.maker_order_id,
          listing_id: item.listing_id,
          rating: Number(forms.radioValue(form, 'rating') || 5),
          title: forms.text(form, 'title'),
          body: forms.text(form, 'body'),
          photos: photos.value(),
        });
      } catch (error) {
        throw humanReviewError(error);
      }
    });
    if (review) {
      announce(REVIEW_WORDS.published);
      replace(box, h('p', { class: 'write-review__done', role: 'status' }, REVIEW_WORDS.published),
        h('ol', { class: 'reviews__list' }, reviewItem(review)));
    }
  });
  return replace(box, form);
}

/**
 * The review form's photos: each chosen file is uploaded to the media service (the customer's
 * own image), watched until it is ready, and described in words for people who cannot see it.
 * `value()` is the review's `photos`; `pending()` whether one is still on its way.
 */
function reviewPhotos() {
  const chooserId = uid('review-photos');
  const items = [];
  const list = h('ul', { class: 'review-photos__list' });
  const chooser = h('input', {
    id: chooserId, type: 'file', multiple: true, class: 'visually-hidden review-photos__input',
    accept: 'image/jpeg,image/png,image/webp,image/heic,image/heif', 'aria-describedby': `${chooserId}-hint`,
  });
  const element = h('fieldset', { class: 'review-photos' },
    h('legend', {}, REVIEW_WORDS.photosLegend),
    h('p', { class: 'field__hint', id: `${chooserId}-hint` }, REVIEW_WORDS.photosHint),
    list,
    chooser,
    h('label', { for: chooserId, class: 'button button--secondary review-photos__pick' }, REVIEW_WORDS.photosChoose));

  function renumber() {
    items.forEach((item, index) => { item.altLabel.textContent = REVIEW_WORDS.photoAlt(index + 1); });
  }

  function show(item, state, message) {
    item.state = state;
    item.element.dataset.state = state;
    item.status.textContent = message;
    item.status.setAttribute('role', state === 'failed' ? 'alert' : 'status');
  }

  function remove(item) {
    item.removed = true;
    items.splice(items.indexOf(item), 1);
    item.element.remove();
    renumber();
    chooser.focus();
  }

  async function watch(item) {
    let delay = FIRST_POLL_MS;
    while (item.state === 'processing' && !item.removed && element.isConnected) {
      await wait(delay);
      delay = Math.min(delay * 1.5, LONGEST_POLL_MS);
      let image;
      try {
        image = await api.get(`/images/${encodeURIComponent(item.imageId)}`);
      } catch {
        continue; // a passing failure: ask again
      }
      if (image?.status === 'ready') show(item, 'ready', REVIEW_WORDS.photoReady(item.name));
      else if (image?.status === 'failed') show(item, 'failed', words(image.failure_code, 'photo_upload') || words('image_corrupt', 'photo_upload'));
    }
  }

  async function send(item, file) {
    show(item, 'uploading', REVIEW_WORDS.photoUploading(item.name));
    const body = new FormData();
    body.append('file', file, file.name);
    try {
      const image = await api.upload('/images', body);
      item.imageId = image.id;
      show(item, 'processing', REVIEW_WORDS.photoProcessing(item.name));
      watch(item);
    } catch (error) {
      show(item, 'failed', words(error?.code, 'photo_upload') || error?.detail || String(error));
    }
  }

  chooser.addEventListener('change', () => {
    for (const file of [...chooser.files]) {
      if (items.length >= MAX_REVIEW_PHOTOS) {
        announce(REVIEW_WORDS.photosTooMany);
        break;
      }
      const altId = uid('review-photo-alt');
      const item = { name: file.name, imageId: null, state: 'new', removed: false };
      item.status = h('p', { class: 'review-photos__status' });
      item.altLabel = h('label', { for: altId });
      item.alt = h('input', { id: altId, type: 'text', maxlength: 200, autocomplete: 'off' });
      item.element = h('li', { class: 'review-photos__item' },
        item.status,
        h('div', { class: 'field' }, item.altLabel, item.alt),
        h('button', { type: 'button', class: 'button button--link', onclick: () => remove(item) }, REVIEW_WORDS.photoRemove(file.name)));
      items.push(item);
      list.append(item.element);
      send(item, file);
    }
    renumber();
    chooser.value = '';
  });

  return {
    element,
    pending: () => items.some((item) => item.state === 'uploading' || item.state === 'processing'),
    value: () => items.filter((item) => item.state === 'ready')
      .map((item) => ({ image_id: item.imageId, alt: item.alt.value.trim() })),
  };
}

function replyForm(review, onReplied) {
  const form = h('form', { class: 'form review__reply-form', novalidate: true },
    forms.textarea({ label: REVIEW_WORDS.replyLabel, name: 'body', hint: REVIEW_WORDS.replyHint, required: true, rows: 3, attrs: { maxlength: 2000 } }),
    h('button', { type: 'submit', class: 'button button--small' }, REVIEW_WORDS.replySend));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const replied = await forms.submitting(form, async () => {
      try {
        return await api.post(`/reviews/${review.id}/reply`, { body: forms.text(form, 'body') });
      } catch (error) {
        throw humanReviewError(error);
      }
    });
    if (replied) {
      announce(REVIEW_WORDS.replied);
      onReplied(replied);
    }
  });
  return form;
}

/** The maker dashboard's reviews: every review of their pieces, with a reply form where none. */
export function makerReviews(makerId, makerName) {
  const node = h('div', { class: 'maker-reviews' }, loading(REVIEW_WORDS.loading));
  (async () => {
    try {
      const found = await api.get('/reviews', { query: { maker_id: makerId, limit: 50 } });
      const items = found.items.map(function item(review) {
        const li = reviewItem(review, {
          makerName,
          actions: review.reply ? [] : [replyForm(review, (replied) => li.replaceWith(item(replied)))],
        });
        return li;
      });
      replace(node, histogram(found.rating_summary), items.length ? h('ol', { class: 'reviews__list' }, items) : null);
    } catch (error) {
      replace(node, errorBox(error));
    }
  })();
  return node;
}

/** The operators' queue: reported reviews with their reports, each with a hide form. */
export function reportedReviews() {
  const node = h('div', { class: 'reported-reviews' }, loading(REVIEW_WORDS.loading));
  (async () => {
    try {
      const found = await api.get('/reviews/reported', { query: { limit: 50 } });
      if (!found.items.length) {
        replace(node, empty(REVIEW_WORDS.queueEmpty));
        return;
      }
      replace(node, h('ol', { class: 'reviews__list' }, found.items.map((review) => {
        const form = h('form', { class: 'form review__hide-form', novalidate: true },
          forms.field({ label: REVIEW_WORDS.hideReason, name: 'reason', required: true, attrs: { maxlength: 500 } }),
          h('button', { type: 'submit', class: 'button button--danger button--small' }, REVIEW_WORDS.hide));
        const li = reviewItem(review, {
          actions: [
            h('ul', { class: 'review__reports', 'aria-label': 'Reports' },
              (review.reports || []).map((report) => h('li', {}, `${fmt.day(report.created_at)}: `, report.reason))),
            form,
          ],
        });
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          const hidden = await forms.submitting(form, () => api.post(`/reviews/${review.id}/hide`, { reason: forms.text(form, 'reason') }));
          if (hidden) {
            announce(REVIEW_WORDS.hidden);
            replace(li, h('p', { class: 'notice', role: 'status', dataset: { reviewId: review.id } }, REVIEW_WORDS.hidden));
          }
        });
        return li;
      })));
    } catch (error) {
      replace(node, errorBox(error));
    }
  })();
  return node;
}
