// Suggestions under a search box: completions of what is being typed (GET
// /listings/suggest), offered through the input's own <datalist>, so the browser shows them as
// the field's suggestions and assistive technology announces them as such; the keyboard picks
// one as usual. Asked for after a short pause in typing; the last answer wins.

import * as api from '../core/api.js';
import { h, replace, uid } from '../core/dom.js';

const PAUSE_MS = 150;

/** Offer completions under `input`; returns its datalist. */
export function offerSuggestions(input) {
  const list = h('datalist', { id: uid('suggestions') });
  input.setAttribute('list', list.id);
  input.after(list);
  let timer = null;
  let asking = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    asking?.abort();
    const q = input.value;
    if (!q.trim() || q.length > 100) {
      replace(list);
      return;
    }
    timer = setTimeout(async () => {
      asking = new AbortController();
      try {
        const answer = await api.get('/listings/suggest', { query: { q }, signal: asking.signal });
        replace(list, (answer?.suggestions || []).map((text) => h('option', { value: text })));
      } catch (error) {
        // Suggestions are a help, never in the way: without them the box still searches.
        if (error?.name !== 'AbortError') replace(list);
      }
    }, PAUSE_MS);
  });
  return list;
}
