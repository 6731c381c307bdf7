// The maker's application: the profile form (create, then edit while a draft or when changes
// are requested), the checklist with every unmet item called out, and submitting for review.

import * as api from '../../core/api.js';
import * as session from '../../core/session.js';
import { h, replace, dl, uid } from '../../core/dom.js';
import * as fmt from '../../core/format.js';
import * as forms from '../../core/forms.js';
import { toast } from '../../core/live.js';
import { errorBox, pill } from '../../components/ui.js';
import { repeater } from '../../components/repeater.js';
import { resendButton } from '../../components/sign-ins.js';
import { countryOptions } from '../checkout.js';
import { recordForms } from './record.js';

const CLAIM_STATUS = {
  self_declared: 'self-declared',
  pending_verification: 'evidence awaiting review',
  evidenced: 'evidenced',
  rejected: 'evidence not accepted',
};

const EDITABLE = new Set(['draft', 'changes_requested']);

// --- the checklist ------------------------------------------------------------------------------

export function checklist(maker, { heading = 'h2' } = {}) {
  const items = maker?.checklist || [];
  if (!items.length) return null;
  const unmet = items.filter((item) => item.status === 'unmet' && item.blocking);
  const titleId = uid('checklist');
  return h('section', { class: 'panel checklist', 'aria-labelledby': titleId, dataset: { loc: 'checklist' } },
    h(heading, { id: titleId }, 'Checklist'),
    h('p', { class: unmet.length ? 'warning' : 'success' }, unmet.length
      ? `${fmt.plural(unmet.length, 'item')} still to do before you can submit.`
      : 'Everything needed for review is in place.'),
    h('ul', { class: 'checklist__items' }, items.map((item) => h('li', {
      class: `checklist__item checklist__item--${item.status}${item.blocking ? ' is-blocking' : ''}`,
      dataset: { loc: `checklist.${item.item}`, fieldLoc: `checklist.${item.item}`, item: item.item, status: item.status },
    },
    h('span', { class: 'checklist__mark', 'aria-hidden': 'true' }, item.status === 'met' ? '✓' : item.status === 'unmet' ? '!' : '–'),
    h('span', { class: 'checklist__text', dataset: { label: '' } }, fmt.checklistItem(item.item)),
    ' ',
    h('span', { class: 'checklist__status' }, item.status === 'met' ? 'Done' : item.status === 'unmet' ? (item.blocking ? 'Required — not done yet' : 'Advised — not done yet') : 'Not needed')))));
}

function history(maker) {
  const entries = maker?.history || [];
  if (!entries.length) return null;
  return h('details', { class: 'timeline-details' }, h('summary', {}, 'History'),
    h('ol', { class: 'timeline' }, entries.map((entry) => h('li', { class: 'timeline__entry' },
      h('time', { datetime: entry.at }, fmt.when(entry.at)), ' ',
      entry.from ? `${fmt.makerStatus(entry.from)} → ` : '', fmt.makerStatus(entry.to),
      entry.note ? h('span', { class: 'timeline__note' }, ` — “${entry.note}”`) : null))));
}

function latestNote(maker) {
  const last = (maker?.history || []).at(-1);
  return last && last.note && ['changes_requested', 'rejected', 'suspended'].includes(last.to) ? last.note : null;
}

// --- the form -----------------------------------------------------------------------------------

const SCHEME_OPTIONS = Object.entries(fmt.SCHEMES);

function profileForm(maker) {
  const m = maker || {};
  const partners = repeater({
    legend: 'Production partners', name: 'production_partners', itemLabel: 'Partner', addLabel: 'Add a partner',
    hint: 'Anyone outside your workshop who does part of the work (a caster, a stone setter).',
    fields: [{ key: 'name', label: 'Name' }, { key: 'role', label: 'What they do' }],
    values: m.production_partners || [],
  });
  const claims = repeater({
    legend: 'Sourcing claims', name: 'sourcing_claims', itemLabel: 'Claim', addLabel: 'Add a sourcing claim',
    hint: 'A claim with a certificate id or an https evidence link waits for the operations team to check the evidence; once verified, customers see it as evidenced. Without evidence it is shown as self-declared.',
    fields: [
      { key: 'scheme', label: 'Scheme', type: 'select', options: SCHEME_OPTIONS },
      { key: 'scope', label: 'Applies to', type: 'select', options: [['metal', 'Metal'], ['stone', 'Stones']] },
      { key: 'supplier', label: 'Supplier (optional)' },
      { key: 'certificate_id', label: 'Certificate id (optional)' },
      { key: 'evidence_url', label: 'Evidence link (optional)', type: 'url' },
      { key: 'expires_on', label: 'Expires on (optional)', type: 'date' },
    ],
    values: m.sourcing_claims || [],
    blank: { scheme: 'recycled', scope: 'metal' },
  });

  const form = h('form', { class: 'stack application-form', 'aria-labelledby': 'application-title', novalidate: true },
    h('fieldset', { class: 'stack' }, h('legend', {}, 'About you'),
      forms.field({ name: 'handle', label: 'Shop handle', required: true, value: m.handle, hint: 'Lower-case letters, digits and hyphens, 3–40 characters: your page will be /makers/<handle>.', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      forms.field({ name: 'display_name', label: 'Shop name', required: true, value: m.display_name }),
      forms.field({ name: 'legal_name', label: 'Legal name (not shown publicly)', value: m.legal_name }),
      forms.select({ name: 'business_type', label: 'Business type', options: [['individual', 'Individual / sole trader'], ['company', 'Company']], value: m.business_type || 'individual' }),
      forms.field({ name: 'vat_number', label: 'VAT number (if you are VAT-registered)', value: m.vat_number, hint: 'GB followed by 9 digits (12 for a branch), e.g. GB 999 9999 73. Your invoices show it with the VAT included in your prices.', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      forms.textarea({ name: 'bio', label: 'About your work', value: m.bio, rows: 5 }),
      h('div', { class: 'field-row' },
        forms.select({ name: 'country', loc: 'location.country', label: 'Country', placeholder: 'Choose…', options: countryOptions(), value: m.location?.country }),
        forms.field({ name: 'region', loc: 'location.region', label: 'Region or town', value: m.location?.region })),
      forms.field({ name: 'techniques', label: 'Techniques', value: (m.techniques || []).join(', '), hint: 'Separated by commas, e.g. lost-wax casting, stone setting.' }),
      forms.textarea({ name: 'portfolio_urls', label: 'Portfolio links', value: (m.portfolio_urls || []).join('\n'), rows: 3, hint: 'One link per line (your website, Instagram…). At least one is required.' })),
    partners.element,
    h('fieldset', { class: 'stack' }, h('legend', {}, 'Precious metals and stones'),
      forms.checkbox({ name: 'works_precious_metals', label: 'I work in gold, silver, platinum or palladium', checked: m.works_precious_metals }),
      h('div', { class: 'field-row', dataset: { loc: 'hallmarking', fieldLoc: 'hallmarking' } },
        forms.field({ name: 'sponsor_mark', loc: 'hallmarking.sponsor_mark', label: 'Sponsor\'s mark', value: m.hallmarking?.sponsor_mark, hint: '2–5 capital letters, as registered with an assay office.', attrs: { autocomplete: 'off' } }),
        forms.select({ name: 'assay_office', loc: 'hallmarking.assay_office', label: 'Assay office', placeholder: 'Choose…', options: Object.entries(fmt.ASSAY_OFFICES), value: m.hallmarking?.assay_office })),
      forms.checkbox({ name: 'natural_diamonds', label: 'I sell natural diamonds', checked: m.natural_diamonds }),
      forms.checkbox({ name: 'system_of_warranties_attested', label: 'I attest that the natural diamonds I sell are covered by the System of Warranties (bought from legitimate sources not involved in funding conflict, in compliance with United Nations resolutions)', checked: m.system_of_warranties_attested })),
    claims.element,
    h('fieldset', { class: 'stack' }, h('legend', {}, 'Selling'),
      forms.checkbox({ name: 'accepts_commissions', label: 'I take bespoke commissions', checked: m.accepts_commissions }),
      forms.checkbox({ name: 'terms_accepted', label: 'I accept the marketplace terms for makers', checked: m.terms_accepted })),
  );
  return { form, partners, claims };
}

function readProfile(form, partners, claims) {
  const country = forms.text(form, 'country');
  const sponsorMark = forms.text(form, 'sponsor_mark').toUpperCase();
  const assayOffice = forms.text(form, 'assay_office');
  const body = {
    handle: forms.text(form, 'handle'),
    display_name: forms.text(form, 'display_name'),
    legal_name: forms.optionalText(form, 'legal_name'),
    business_type: forms.text(form, 'business_type') || 'individual',
    vat_number: forms.optionalText(form, 'vat_number'),
    bio: forms.text(form, 'bio'),
    location: country ? { country, region: forms.optionalText(form, 'region') } : null,
    techniques: forms.list(form, 'techniques'),
    portfolio_urls: forms.list(form, 'portfolio_urls', /\n/),
    production_partners: partners.values().filter((p) => p.name || p.role),
    sourcing_claims: claims.values().map(dropEmpty),
    hallmarking: sponsorMark || assayOffice ? { sponsor_mark: sponsorMark, assay_office: assayOffice || null } : null,
    works_precious_metals: forms.checked(form, 'works_precious_metals'),
    natural_diamonds: forms.checked(form, 'natural_diamonds'),
    system_of_warranties_attested: forms.checked(form, 'system_of_warranties_attested'),
    accepts_commissions: forms.checked(form, 'accepts_commissions'),
    terms_accepted: forms.checked(form, 'terms_accepted'),
  };
  return body;
}

function dropEmpty(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== ''));
}

/** The fields a new draft may carry: POST takes the whole profile, but null means "not set". */
function forCreate(body) {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
}

// --- the section ----------------------------------------------------------------------------------

/** Render the application into `container`; `onChange(maker)` after every save or submit. */
export function renderApplication(container, maker, onChange) {
  const editable = !maker || EDITABLE.has(maker.status);
  const checklistBox = h('div', {}, maker ? checklist(maker) : null);
  const note = latestNote(maker);
  const parts = [
    h('h2', { id: 'application-title' }, maker ? 'Your application' : 'Apply to sell'),
    maker ? h('p', {}, 'Status: ', pill(maker.status, fmt.makerStatus(maker.status))) : [
      h('p', {}, 'Tell us about your workshop. Save a draft at any time, and submit it for review once the checklist is complete. You will need:'),
      h('ul', {}, ['terms_accepted', 'portfolio_url', 'sponsor_mark', 'system_of_warranties'].map((item) => h('li', {}, fmt.checklistItem(item)))),
    ],
    note ? h('p', { class: 'notice', dataset: { reviewNote: '' } }, h('strong', {}, 'Note from the review team: '), note) : null,
    checklistBox,
  ];

  if (!editable) {
    parts.push(h('p', { class: 'muted' }, maker.status === 'submitted'
      ? 'Your application is with the review team. You will be able to list pieces once it is approved.'
      : maker.status === 'approved' ? 'You are approved: list your pieces under Listings.' : ''),
    maker.status === 'rejected' ? reapply(maker, onChange) : null,
    profileSummary(maker), recordForms(maker, onChange), history(maker));
    replace(container, parts);
    return;
  }

  const { form, partners, claims } = profileForm(maker);
  const save = h('button', { type: 'submit', class: 'button' }, maker ? 'Save changes' : 'Save draft');
  const submit = maker ? h('button', { type: 'button', class: 'button button--accent', dataset: { action: 'submit' } }, 'Submit for review') : null;
  const user = session.user();
  // Submitting is refused until the address is confirmed: say so before the maker tries.
  if (maker && user && !user.email_verified) {
    form.append(h('p', { class: 'notice', dataset: { emailUnverified: '' } },
      `Confirm your email address before you submit: follow the link we sent to ${user.email}. `, resendButton()));
  }
  form.append(h('div', { class: 'actions' }, save, submit));

  const saveProfile = async () => {
    const body = readProfile(form, partners, claims);
    return maker ? api.patch(`/makers/${maker.id}`, body) : api.post('/makers', forCreate(body));
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await forms.submitting(form, saveProfile, { button: save, busyLabel: 'Saving…', scope: container });
    if (saved) {
      toast('Application saved.');
      onChange(saved);
    }
  });
  // Submitting saves first, so the checklist the server checks is the one on screen; an unmet
  // item comes back as an error with loc ["checklist", item], shown on that checklist item.
  submit?.addEventListener('click', async () => {
    const submitted = await forms.submitting(form, async () => {
      const saved = await saveProfile();
      replace(checklistBox, checklist(saved));
      return api.post(`/makers/${maker.id}/submit`, {});
    }, { button: submit, busyLabel: 'Submitting…', scope: container });
    if (submitted) {
      toast('Submitted for review.');
      onChange(submitted);
    }
  });

  parts.push(form, history(maker));
  replace(container, parts);
}

/** A rejected maker may apply again, with the same account, once the waiting period is over. */
function reapply(maker, onChange) {
  const button = h('button', { type: 'button', class: 'button', dataset: { action: 'reopen' } }, 'Apply again');
  const box = h('div', { class: 'actions' }, button);
  button.addEventListener('click', async () => {
    button.disabled = true;
    box.querySelector('.error-box')?.remove();
    try {
      const reopened = await api.post(`/makers/${maker.id}/reopen`, {});
      toast('Your application is a draft again: update it and submit it when ready.');
      onChange(reopened);
    } catch (error) {
      button.disabled = false;
      box.append(errorBox(error));
    }
  });
  return box;
}

function profileSummary(maker) {
  return dl([
    ['Handle', maker.handle],
    ['Shop name', maker.display_name],
    ['VAT number', maker.vat_number],
    ['Location', maker.location ? [maker.location.region, fmt.country(maker.location.country)].filter(Boolean).join(', ') : null],
    ['Techniques', (maker.techniques || []).join(', ')],
    ['Portfolio', (maker.portfolio_urls || []).join(', ')],
    ['Sponsor\'s mark', maker.hallmarking ? `${maker.hallmarking.sponsor_mark} (${fmt.assayOffice(maker.hallmarking.assay_office)})` : null],
    ['Sourcing claims', (maker.sourcing_claims || []).map((c) => `${fmt.scheme(c.scheme)} (${c.scope}, ${CLAIM_STATUS[c.status] || c.status}${c.expired ? ', expired' : ''})`).join('; ')],
    ['Takes commissions', maker.accepts_commissions ? 'Yes' : 'No'],
  ]);
}
