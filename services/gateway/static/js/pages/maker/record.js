// An approved maker's record, kept current without a new application: their sponsor's mark and
// declarations (precious metals, natural diamonds, the System of Warranties), and their
// sourcing claims (added, renewed with new evidence, removed). Each form says what went wrong
// in words, next to the field concerned.

import * as api from '../../core/api.js';
import { h } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import { toast } from '../../core/live.js';
import { words } from '../../core/messages.js';
import { repeater } from '../../components/repeater.js';

const WHY_NOT_FOR_LOC = {
  'checklist.sponsor_mark': 'hallmarking',
  'checklist.system_of_warranties': 'system_of_warranties_attested',
};

/** Run an API call, putting each error in the maker's words (and on the field it is about);
 * `under` names the field a whole-body list is (the claims: an error at [0, "evidence_url"] is
 * about claims.0.evidence_url). */
async function inWords(call, under = null) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof api.ApiError) {
      // What each refusal means to the maker (the API's own message is the fallback).
      const detail = words(error.code, 'maker_record');
      if (detail) error.detail = detail;
      error.errors = error.errors.map((entry) => {
        const parts = forms.cleanLoc(entry.loc);
        const loc = parts.join('.');
        return {
          ...entry,
          loc: WHY_NOT_FOR_LOC[loc] ? [WHY_NOT_FOR_LOC[loc]] : under ? [under, ...parts] : entry.loc,
          msg: words(entry.code, 'maker_record') || entry.msg,
        };
      });
    }
    throw error;
  }
}

// --- the sponsor's mark and declarations ---------------------------------------------------------

function complianceForm(maker, onChange) {
  const heading = 'record-compliance-title';
  const form = h('form', { class: 'stack compliance-form', 'aria-labelledby': heading, novalidate: true },
    h('h3', { id: heading }, 'Hallmarking and declarations'),
    h('p', { class: 'field__hint' }, 'Keep these in step with your workshop. A listing your record no longer allows is taken off the shop, with the reason shown beside it, until you put it right.'),
    forms.checkbox({ name: 'works_precious_metals', label: 'I work in gold, silver, platinum or palladium', checked: maker.works_precious_metals }),
    h('div', { class: 'field-row', dataset: { loc: 'hallmarking', fieldLoc: 'hallmarking' } },
      forms.field({ name: 'sponsor_mark', loc: 'hallmarking.sponsor_mark', label: 'Sponsor\'s mark', value: maker.hallmarking?.sponsor_mark, hint: '2–5 capital letters, as registered with an assay office. Leave empty if you have none.', attrs: { autocomplete: 'off' } }),
      forms.select({ name: 'assay_office', loc: 'hallmarking.assay_office', label: 'Assay office', placeholder: 'Choose…', options: Object.entries(fmt.ASSAY_OFFICES), value: maker.hallmarking?.assay_office })),
    forms.checkbox({ name: 'natural_diamonds', label: 'I sell natural diamonds', checked: maker.natural_diamonds }),
    forms.checkbox({ name: 'system_of_warranties_attested', loc: 'system_of_warranties_attested', label: 'I attest that the natural diamonds I sell are covered by the System of Warranties (bought from legitimate sources not involved in funding conflict, in compliance with United Nations resolutions)', checked: maker.system_of_warranties_attested }));
  const save = h('button', { type: 'submit', class: 'button' }, 'Save hallmarking and declarations');
  form.append(h('div', { class: 'actions' }, save));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sponsorMark = forms.text(form, 'sponsor_mark').toUpperCase();
    const assayOffice = forms.text(form, 'assay_office');
    const body = {
      hallmarking: sponsorMark || assayOffice ? { sponsor_mark: sponsorMark, assay_office: assayOffice || null } : null,
      works_precious_metals: forms.checked(form, 'works_precious_metals'),
      natural_diamonds: forms.checked(form, 'natural_diamonds'),
      system_of_warranties_attested: forms.checked(form, 'system_of_warranties_attested'),
    };
    const saved = await forms.submitting(form, () => inWords(() => api.patch(`/makers/${maker.id}/compliance`, body)), { button: save, busyLabel: 'Saving…' });
    if (saved) {
      toast('Your hallmarking and declarations are saved.');
      onChange(saved);
    }
  });
  return form;
}

// --- VAT registration ---------------------------------------------------------------------------

function vatForm(maker, onChange) {
  const heading = 'record-vat-title';
  const form = h('form', { class: 'stack vat-form', 'aria-labelledby': heading, novalidate: true },
    h('h3', { id: heading }, 'VAT registration'),
    h('p', { class: 'field__hint' }, 'If you are VAT-registered, your prices include VAT: your invoices show your VAT number and the VAT included. Leave it empty if you are not registered.'),
    forms.field({ name: 'vat_number', label: 'VAT number', value: maker.vat_number, hint: 'GB followed by 9 digits (12 for a branch), e.g. GB 999 9999 73.', attrs: { autocomplete: 'off', spellcheck: 'false' } }));
  const save = h('button', { type: 'submit', class: 'button' }, 'Save VAT number');
  form.append(h('div', { class: 'actions' }, save));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { vat_number: forms.optionalText(form, 'vat_number') };
    const saved = await forms.submitting(form, () => inWords(() => api.patch(`/makers/${maker.id}/compliance`, body)), { button: save, busyLabel: 'Saving…' });
    if (saved) {
      toast(saved.vat_number ? 'Your VAT number is saved.' : 'Your VAT number is removed.');
      onChange(saved);
    }
  });
  return form;
}

// --- sourcing claims -----------------------------------------------------------------------------

const CLAIM_STATUS = {
  self_declared: 'self-declared (no evidence)',
  pending_verification: 'evidence awaiting review',
  evidenced: 'evidenced',
  rejected: 'evidence not accepted',
};

function claimState(claim) {
  return [CLAIM_STATUS[claim.status] || 'status unknown', claim.expired ? 'expired: renew it with new evidence' : null]
    .filter(Boolean).join(', ');
}

function claimsForm(maker, onChange) {
  const heading = 'record-claims-title';
  const claims = maker.sourcing_claims || [];
  const claimsList = repeater({
    legend: 'Your claims', name: 'claims', itemLabel: 'Claim', addLabel: 'Add a sourcing claim',
    hint: 'A claim with a certificate id or an https evidence link waits for our team to check the evidence; once verified, customers see it as evidenced. Without evidence it is shown as self-declared. To renew an expired claim, give its new evidence and expiry date.',
    fields: [
      { key: 'scheme', label: 'Scheme', type: 'select', options: Object.entries(fmt.SCHEMES) },
      { key: 'scope', label: 'Applies to', type: 'select', options: [['metal', 'Metal'], ['stone', 'Stones']] },
      { key: 'supplier', label: 'Supplier (optional)' },
      { key: 'certificate_id', label: 'Certificate id (optional)' },
      { key: 'evidence_url', label: 'Evidence link (optional, https)', type: 'url' },
      { key: 'expires_on', label: 'Expires on (optional)', type: 'date' },
    ],
    values: claims,
    blank: { scheme: 'recycled', scope: 'metal' },
  });
  const form = h('form', { class: 'stack claims-form', 'aria-labelledby': heading, novalidate: true },
    h('h3', { id: heading }, 'Sourcing claims'),
    claims.length ? h('ul', { class: 'claim-states', 'aria-label': 'Where your claims stand' }, claims.map((claim) => h('li', { dataset: { scheme: claim.scheme } },
      `${fmt.scheme(claim.scheme)} (${claim.scope === 'stone' ? 'stones' : 'metal'}): ${claimState(claim)}`))) : null,
    claimsList.element);
  const save = h('button', { type: 'submit', class: 'button' }, 'Save sourcing claims');
  form.append(h('div', { class: 'actions' }, save));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = claimsList.values().map((claim) => Object.fromEntries(
      Object.entries(claim).filter(([, value]) => value !== null && value !== '')));
    const saved = await forms.submitting(form, () => inWords(() => api.put(`/makers/${maker.id}/claims`, body), 'claims'), { button: save, busyLabel: 'Saving…' });
    if (saved) {
      toast('Your sourcing claims are saved.');
      onChange(saved);
    }
  });
  return form;
}

/** The forms an approved maker keeps their record with (claims also before approval, but not
 * while suspended); null when there is nothing they may change. */
export function recordForms(maker, onChange) {
  if (maker.status === 'suspended') return null;
  const approved = maker.status === 'approved';
  return h('section', { class: 'panel stack maker-record', 'aria-labelledby': 'record-title' },
    h('h2', { id: 'record-title' }, 'Your maker record'),
    approved ? complianceForm(maker, onChange) : null,
    approved ? vatForm(maker, onChange) : null,
    claimsForm(maker, onChange));
}
