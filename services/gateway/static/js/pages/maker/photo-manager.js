// The photographs of a listing in the editor. Each file chosen or dropped is uploaded on its own
// (with a progress bar), then watched until the media service has made its renditions (its
// thumbnail appears) or has failed (a sentence says why). Photos are ordered with buttons, the
// first being the main photo, and each needs alt text. Every photo is a list item marked
// data-loc="photos.<index>" and its alt text data-loc="photos.<index>.alt", so the catalogue's
// errors land on the photo they are about.

import * as api from '../../core/api.js';
import { h, replace, uid } from '../../core/dom.js';
import { announce } from '../../core/live.js';
import { words } from '../../core/messages.js';
import { photoImage } from '../../components/photo.js';

const MAX_PHOTOS = 10;
const MAX_BYTES = 20 * 1024 * 1024;
const ALT_MIN = 3;
const ALT_MAX = 200;
const ACCEPT = 'image/jpeg,image/png,image/webp,image/heic,image/heif,.jpg,.jpeg,.png,.webp,.heic,.heif';
const THUMB_SIZES = '10rem';
// Polling starts quickly (most photos are ready in a second or two) and slows down.
const FIRST_POLL_MS = 600;
const LONGEST_POLL_MS = 4000;

/** The sentence for a refused upload: by its code, else by its status. */
function refusal(error) {
  const byCode = words(error.code, 'photo_upload');
  if (byCode) return byCode;
  if (error.status === 413) return words('payload_too_large', 'photo_upload');
  if (error.status === 415) return words('unsupported_media_type', 'photo_upload');
  if (error.status === 401) return 'Your session has ended. Sign in again, then add the photo again.';
  // The editor is only open to approved makers: a refusal is an approval still on its way.
  if (error.status === 403) return 'Your approval is still reaching our photo service. Try again in a few seconds.';
  if (error.status === 429) return 'Too many uploads at once. Wait a moment, then try again.';
  if (error.status === 0) return 'The upload did not get through. Check your connection and try again.';
  if (error.status >= 500) return 'Something went wrong on our side. Try again in a moment.';
  return 'This photo could not be used. Try a different photo.';
}

/** Problems worth another try with the same file (the file itself was not refused). */
const retryable = (error) => [0, 403, 429].includes(error.status) || error.status >= 500;

function processingFailure(code) {
  return words(code, 'photo_upload') || 'This photo could not be processed. Export it again, or choose another photo.';
}

/**
 * The catalogue's errors with the photo rules said in words: each errors[] entry (and the
 * problem itself) whose code is a photo rule gets its sentence; the code stays in the data.
 */
export function explainPhotoRules(error) {
  if (!(error instanceof api.ApiError)) return error;
  const errors = error.errors.map((entry) => {
    const rule = words(entry.code, 'photo_publish');
    return rule ? { ...entry, msg: rule } : entry;
  });
  const detail = words(error.code, 'photo_publish') || error.detail;
  return new api.ApiError(error.status, { ...error.problem, title: error.title, detail, errors });
}

const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * The photo manager for `photos` (the listing's, each {image_id, alt, status, width, height,
 * placeholder, urls, failure_code}). Returns {element, values(), check()}: values() is the
 * listing body's photos [{image_id, alt}] (a photo that failed is left out); check() lists what
 * stops the form being saved now (a file still uploading). Alt text is the catalogue's to check:
 * a draft may go without it, publishing may not (alt_text_required).
 */
export function photoManager(photos = []) {
  const items = [];
  const list = h('ol', { class: 'photo-list', 'aria-label': 'Photographs, main photo first' });
  const status = h('p', { class: 'photo-drop__status', role: 'status' });
  const fullNote = h('p', { class: 'photo-drop__status', hidden: true }, `This listing has ${MAX_PHOTOS} photos, the most it can have: remove one to add another.`);
  const inputId = uid('photo-files');
  const hintId = `${inputId}-hint`;
  const input = h('input', { id: inputId, type: 'file', multiple: true, accept: ACCEPT, class: 'visually-hidden photo-drop__input', 'aria-describedby': hintId });
  const drop = h('div', { class: 'photo-drop' },
    h('p', { class: 'photo-drop__lead' }, 'Drag photos here, or'),
    input,
    h('label', { for: inputId, class: 'button button--secondary photo-drop__pick' }, 'Choose photos'),
    h('p', { class: 'field__hint', id: hintId }, `JPEG, PNG, WebP or HEIC, up to 20 MB each and at least 800 pixels on the shorter side. Up to ${MAX_PHOTOS} photos; the first is the main photo.`),
    fullNote,
    status);
  const element = h('fieldset', { class: 'photos', dataset: { loc: 'photos', fieldLoc: 'photos' } },
    h('legend', {}, 'Photographs'),
    h('p', { class: 'field__hint' }, 'Alt text describes each photo for people who cannot see it: say what the piece is and what the photo shows.'),
    list,
    drop);

  input.addEventListener('change', () => {
    addFiles([...input.files]);
    input.value = '';
  });
  let dragDepth = 0;
  element.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    dragDepth += 1;
    drop.classList.add('is-dragging');
  });
  element.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  element.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) drop.classList.remove('is-dragging');
  });
  element.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    dragDepth = 0;
    drop.classList.remove('is-dragging');
    addFiles([...event.dataTransfer.files]);
  });

  // --- adding ---------------------------------------------------------------------------------

  const kept = () => items.filter((item) => item.state !== 'failed');
  const position = (item) => kept().indexOf(item);
  const describe = (item) => item.fileName || (item.alt.trim() ? `“${item.alt.trim()}”` : 'The photo');

  function addFiles(files) {
    const room = MAX_PHOTOS - kept().length;
    const taken = files.slice(0, Math.max(room, 0));
    taken.forEach((file) => {
      const item = addItem({ fileName: file.name });
      if (file.size > MAX_BYTES) refuse(item, words('payload_too_large', 'photo_upload'));
      else send(item, file);
    });
    const left = files.length - taken.length;
    status.textContent = left
      ? `A listing has at most ${MAX_PHOTOS} photos, so ${left === 1 ? 'one file was' : `${left} files were`} not added.`
      : '';
    if (taken.length) announce(`${taken.length === 1 ? 'One photo' : `${taken.length} photos`} added, uploading.`);
    updateDrop();
  }

  function addItem(state) {
    const item = { imageId: null, alt: '', photo: null, ...state };
    item.element = itemElement(item);
    items.push(item);
    list.append(item.element);
    renumber();
    return item;
  }

  async function send(item, file) {
    const controller = new AbortController();
    item.cancel = () => controller.abort();
    setState(item, 'uploading');
    const form = new FormData();
    form.append('file', file, file.name);
    try {
      const image = await api.upload('/images', form, {
        signal: controller.signal,
        onProgress: (fraction) => showProgress(item, fraction),
      });
      item.cancel = null;
      item.imageId = image.id;
      setState(item, 'processing');
      watch(item);
    } catch (error) {
      item.cancel = null;
      if (error?.name === 'AbortError') return;
      refuse(item, refusal(error), retryable(error) ? () => send(item, file) : null);
    }
  }

  // The message is an alert: screen readers say it as it appears.
  function refuse(item, message, retry = null) {
    setState(item, 'failed', { message, retry });
  }

  /** Ask the media service about the image until it is ready or has failed. */
  async function watch(item) {
    let delay = FIRST_POLL_MS;
    while (item.state === 'processing') {
      await wait(delay);
      delay = Math.min(delay * 1.5, LONGEST_POLL_MS);
      // Stop once the photo is removed or the editor has left the page.
      if (!items.includes(item) || !element.isConnected) return;
      let image;
      try {
        image = await api.get(`/images/${encodeURIComponent(item.imageId)}`);
      } catch (error) {
        if (error.status === 404) refuse(item, words('photo_not_found', 'photo_publish'));
        continue; // anything else may pass: ask again
      }
      if (image?.status === 'ready') {
        item.photo = image;
        setState(item, 'ready');
        announce(`${describe(item)} is ready. Add its alt text.`);
      } else if (image?.status === 'failed') {
        refuse(item, processingFailure(image.failure_code));
      }
    }
  }

  // --- one photo --------------------------------------------------------------------------------

  function itemElement(item) {
    const altId = uid('photo-alt');
    item.media = h('div', { class: 'photo-item__media' });
    item.role = h('p', { class: 'photo-item__role', dataset: { label: '' } });
    item.altLabel = h('span', {});
    item.altInput = h('input', {
      id: altId, type: 'text', 'aria-required': 'true', maxlength: ALT_MAX, autocomplete: 'off',
      'aria-describedby': `${altId}-hint`, value: item.alt,
    });
    item.altInput.addEventListener('input', () => { item.alt = item.altInput.value; });
    item.altField = h('div', { class: 'field photo-item__alt' },
      h('label', { for: altId }, item.altLabel, h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')),
      h('p', { class: 'field__hint', id: `${altId}-hint` }, `${ALT_MIN}–${ALT_MAX} characters, e.g. “Silver band with a blue sapphire, seen from the side”.`),
      item.altInput);
    item.buttons = {};
    item.actions = h('div', { class: 'photo-item__actions' },
      actionButton(item, 'Make main photo', 'main', () => move(item, 0, 'right')),
      actionButton(item, 'Move left', 'left', () => move(item, position(item) - 1, 'left')),
      actionButton(item, 'Move right', 'right', () => move(item, position(item) + 1, 'right')),
      actionButton(item, 'Try again', 'retry', () => {
        item.retry?.();
        item.buttons.remove.button.focus();
      }),
      actionButton(item, 'Remove', 'remove', () => remove(item)));
    return h('li', { class: 'photo-item' }, item.media, item.role, item.altField, item.actions);
  }

  function setState(item, state, extra = {}) {
    Object.assign(item, { message: null, retry: null }, extra, { state });
    item.element.dataset.state = state;
    if (state === 'uploading') {
      item.progressBar = h('progress', { max: 100, value: 0, 'aria-label': `Uploading ${item.fileName}` });
      item.progressText = h('span', {}, 'Uploading… 0%');
      replace(item.media, h('div', { class: 'photo-item__box' }, item.progressBar, h('p', { class: 'photo-item__state' }, item.progressText)));
    } else if (state === 'processing') {
      replace(item.media, h('div', { class: 'photo-item__box' }, h('p', { class: 'photo-item__state loading' }, 'Processing…')));
    } else if (state === 'ready') {
      replace(item.media, photoImage(item.photo, { sizes: THUMB_SIZES, className: 'photo-item__image' }));
    } else {
      replace(item.media, h('div', { class: 'photo-item__box photo-item__box--failed' },
        h('p', { class: 'photo-item__message', role: 'alert' }, item.message)));
    }
    // A refused file is not part of the listing: it has nothing to describe.
    if (state === 'failed') item.altField.remove();
    else if (!item.altField.parentNode) item.actions.before(item.altField);
    renumber();
  }

  function showProgress(item, fraction) {
    const percent = Math.round(fraction * 100);
    item.progressBar.value = percent;
    item.progressText.textContent = percent < 100 ? `Uploading… ${percent}%` : 'Uploaded, checking the file…';
  }

  // --- order and removal ------------------------------------------------------------------------

  /** Move `item` to position `to` among the photos that are part of the listing. */
  function move(item, to, focusAction) {
    const order = kept();
    const from = order.indexOf(item);
    if (from < 0 || to < 0 || to >= order.length || to === from) return;
    order.splice(from, 1);
    order.splice(to, 0, item);
    items.splice(0, items.length, ...order, ...items.filter((other) => other.state === 'failed'));
    items.forEach((other) => list.append(other.element));
    renumber();
    announce(to === 0 ? `${describe(item)} is now the main photo.` : `${describe(item)} is now photo ${to + 1} of ${order.length}.`);
    const target = item.actions.querySelector(`[data-action="${focusAction}"]:not(:disabled):not([hidden])`)
      || item.actions.querySelector('button:not(:disabled):not([hidden])');
    target?.focus();
  }

  function remove(item) {
    const index = items.indexOf(item);
    item.cancel?.();
    items.splice(index, 1);
    item.element.remove();
    item.state = 'removed';
    renumber();
    updateDrop();
    announce(`${describe(item)} removed.`);
    const next = items[Math.min(index, items.length - 1)];
    (next?.actions.querySelector('button:not(:disabled):not([hidden])') || input).focus();
  }

  function actionButton(item, label, action, run) {
    const name = h('span', { class: 'visually-hidden' });
    const text = h('span', {}, label);
    const button = h('button', { type: 'button', class: 'button button--small button--secondary', dataset: { action }, onclick: run }, text, name);
    item.buttons[action] = { button, name, text };
    return button;
  }

  /** Positions, labels and buttons after any change of order or state (the buttons stay the
   * same elements, so keyboard focus is never lost to a redraw). A photo that failed is not part
   * of the listing: it has no position, so the others are numbered as the catalogue sees them. */
  function renumber() {
    const order = kept();
    items.forEach((item) => {
      const index = order.indexOf(item);
      const failed = index < 0;
      const name = failed ? item.fileName || 'photo not added' : `photo ${index + 1}`;
      if (failed) {
        delete item.element.dataset.loc;
        delete item.element.dataset.fieldLoc;
      } else {
        item.element.dataset.loc = `photos.${index}`;
        item.element.dataset.fieldLoc = item.element.dataset.loc;
        item.altInput.dataset.loc = `photos.${index}.alt`;
        item.altField.dataset.fieldLoc = item.altInput.dataset.loc;
        item.altLabel.textContent = `Alt text for photo ${index + 1}`;
      }
      replace(item.role, index === 0 ? h('span', { class: 'photo-item__main' }, 'Main photo') : failed ? 'Not added' : `Photo ${index + 1}`);
      const { main, left, right, retry, remove: removal } = item.buttons;
      Object.values(item.buttons).forEach((button) => { button.name.textContent = ` (${name})`; });
      main.button.hidden = failed || index === 0;
      left.button.hidden = failed;
      right.button.hidden = failed;
      left.button.disabled = index === 0;
      right.button.disabled = index === order.length - 1;
      retry.button.hidden = !item.retry;
      removal.text.textContent = item.state === 'uploading' ? 'Cancel upload' : 'Remove';
    });
  }

  function updateDrop() {
    const full = kept().length >= MAX_PHOTOS;
    input.disabled = full;
    drop.classList.toggle('is-full', full);
    fullNote.hidden = !full;
  }

  // --- the listing's own photos ------------------------------------------------------------------

  photos.forEach((photo) => {
    const item = addItem({ imageId: photo.image_id, alt: photo.alt || '', fileName: null });
    item.altInput.value = item.alt;
    if (photo.status === 'ready' && photo.urls) {
      item.photo = photo;
      setState(item, 'ready');
    } else if (photo.status === 'failed') {
      refuse(item, processingFailure(photo.failure_code));
    } else {
      setState(item, 'processing');
      watch(item);
    }
  });
  updateDrop();

  return {
    element,
    values: () => items.filter((item) => item.imageId && item.state !== 'failed')
      .map((item) => ({ image_id: item.imageId, alt: item.alt.trim() })),
    check() {
      return items.some((item) => item.state === 'uploading')
        ? [{ loc: ['photos'], msg: 'Wait until every photo has finished uploading.', code: 'photo_uploading' }]
        : [];
    },
  };
}
