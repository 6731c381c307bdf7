// The maker's card and their sourcing claims. An evidenced claim (a certificate or evidence
// behind it) is shown as a badge; a self-declared one only as plain words saying so, never as a
// badge.

import { h } from '../core/dom.js';
import * as fmt from '../core/format.js';

function isEvidenced(claim) {
  return claim.evidenced === true || claim.status === 'evidenced' || claim.basis === 'evidenced';
}

function scopeText(claim) {
  return claim.scope ? ` (${claim.scope})` : '';
}

/** Badges for evidenced claims, a sentence for self-declared ones. */
export function sourcingClaims(claims = []) {
  const evidenced = claims.filter(isEvidenced);
  const declared = claims.filter((claim) => !isEvidenced(claim));
  if (!claims.length) return null;
  return h('div', { class: 'claims' },
    evidenced.length ? h('ul', { class: 'badges', 'aria-label': 'Evidenced sourcing' }, evidenced.map((claim) => h('li', { class: 'badge-evidenced', dataset: { scheme: claim.scheme } },
      h('span', { 'aria-hidden': 'true' }, '✓ '),
      `${fmt.scheme(claim.scheme)}${scopeText(claim)}`,
      h('span', { class: 'visually-hidden' }, ', evidenced by certificate'),
      claim.expires_on ? h('span', { class: 'badge-evidenced__until' }, ` until ${fmt.day(claim.expires_on)}`) : null))) : null,
    declared.length ? h('p', { class: 'claims__self-declared', dataset: { selfDeclared: declared.map((c) => c.scheme).join(' ') } },
      'Self-declared by the maker, not independently evidenced: ',
      declared.map((claim) => `${fmt.scheme(claim.scheme)}${scopeText(claim)}`).join(', '),
      '.') : null);
}

export function location(maker) {
  const loc = maker.location;
  if (!loc) return '';
  const region = loc.region ? `${loc.region}, ` : '';
  let country = loc.country;
  try {
    country = new Intl.DisplayNames(['en-GB'], { type: 'region' }).of(loc.country) || loc.country;
  } catch { /* an unknown code stays as it is */ }
  return `${region}${country}`;
}

export function makerCard(maker, { heading = 'h2' } = {}) {
  const href = `/makers/${encodeURIComponent(maker.handle)}`;
  return h('section', { class: 'maker-card', 'aria-label': `About the maker, ${maker.display_name}` },
    h(heading, { class: 'maker-card__name' }, h('a', { href }, maker.display_name)),
    h('p', { class: 'maker-card__meta' },
      [location(maker), maker.joined_at ? `on Forge & Facet since ${fmt.day(maker.joined_at)}` : null].filter(Boolean).join(' · ')),
    maker.techniques?.length ? h('p', { class: 'maker-card__techniques' }, `Techniques: ${maker.techniques.join(', ')}`) : null,
    maker.hallmarking ? h('p', {}, `Registered sponsor's mark ${maker.hallmarking.sponsor_mark}, ${fmt.assayOffice(maker.hallmarking.assay_office)} Assay Office`) : null,
    sourcingClaims(maker.sourcing_claims),
    h('p', {}, h('a', { href }, `More from ${maker.display_name}`)));
}
