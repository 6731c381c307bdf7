// /ops: the operators' console. ?tab=review (applications waiting), evidence (sourcing claims
// whose evidence waits for verification), makers (suspend and reinstate, by status) and orders
// (every order; delivery confirmation stands in for the carrier's webhook), returns (to reject
// with a reason, ops-returns.js), payouts (start a payout run, ops-payouts.js) and parcels (maker
// orders across makers: quality, dispatched, overdue and refund queues, ops-parcels.js) and
// reviews (reported reviews to hide with a recorded reason, components/reviews.js).

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace, dl } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { setTitle } from '../core/router.js';
import { empty, pill, section, tabs } from '../components/ui.js';
import { checklist } from './maker/application.js';
import { orderRow, pagedList } from './orders.js';
import { renderReturnsQueue } from './ops-returns.js';
import { renderPayoutRuns } from './ops-payouts.js';
import { renderParcelQueues } from './ops-parcels.js';
import { reportedReviews } from '../components/reviews.js';

const TABS = [
  { key: 'review', text: 'Review queue' },
  { key: 'evidence', text: 'Evidence queue' },
  { key: 'makers', text: 'Makers' },
  { key: 'orders', text: 'Orders' },
  { key: 'parcels', text: 'Parcels' },
  { key: 'returns', text: 'Returns' },
  { key: 'payouts', text: 'Payout runs' },
  { key: 'reviews', text: 'Reported reviews' },
];
const MAKER_STATUSES = ['approved', 'suspended', 'changes_requested', 'rejected'];

function externalLink(url) {
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', 'data-external': '' }, url, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
}

const CLAIM_STATUS_TEXT = {
  evidenced: 'evidence verified',
  pending_verification: 'evidence waiting for verification',
  rejected: 'evidence rejected',
  self_declared: 'self-declared',
};

function claimStatus(claim) {
  const text = CLAIM_STATUS_TEXT[claim.status] || claim.status;
  return claim.status === 'evidenced' ? h('strong', {}, text) : h('em', {}, text);
}

function claimText(claim) {
  const evidence = [claim.certificate_id ? `certificate ${claim.certificate_id}` : null, claim.supplier ? `supplier ${claim.supplier}` : null].filter(Boolean).join(', ');
  return h('li', {},
    `${fmt.scheme(claim.scheme)} (${claim.scope}) — `,
    claimStatus(claim),
    evidence ? `: ${evidence}` : '',
    claim.evidence_url ? [' · ', externalLink(claim.evidence_url)] : null,
    claim.expires_on ? ` · expires ${fmt.day(claim.expires_on)}` : '',
    claim.expired ? ' (expired)' : '');
}

function makerDetails(maker) {
  return dl([
    ['Handle', maker.handle],
    ['Legal name', maker.legal_name],
    ['Business', maker.business_type === 'company' ? 'Company' : 'Individual'],
    ['Location', maker.location ? [maker.location.region, fmt.country(maker.location.country)].filter(Boolean).join(', ') : null],
    ['About', maker.bio],
    ['Techniques', (maker.techniques || []).join(', ')],
    ['Portfolio', maker.portfolio_urls?.length ? h('ul', { class: 'plain' }, maker.portfolio_urls.map((u) => h('li', {}, externalLink(u)))) : null],
    ['Production partners', (maker.production_partners || []).map((p) => `${p.name} (${p.role})`).join('; ')],
    ['Sponsor\'s mark', maker.hallmarking ? `${maker.hallmarking.sponsor_mark}, ${fmt.assayOffice(maker.hallmarking.assay_office)} Assay Office` : null],
    ['Works precious metals', maker.works_precious_metals ? 'Yes' : 'No'],
    ['Natural diamonds', maker.natural_diamonds ? `Yes${maker.system_of_warranties_attested ? ' — System of Warranties attested' : ' — not attested'}` : 'No'],
    ['Sourcing claims', maker.sourcing_claims?.length ? h('ul', { class: 'plain' }, maker.sourcing_claims.map(claimText)) : null],
    ['Takes commissions', maker.accepts_commissions ? 'Yes' : 'No'],
    ['Terms accepted', maker.terms_accepted ? 'Yes' : 'No'],
  ]);
}

// --- review ----------------------------------------------------------------------------------------

function reviewForm(maker, reload) {
  const form = h('form', { class: 'stack review-form', 'aria-label': `Review ${maker.display_name}`, novalidate: true },
    forms.radioGroup({
      legend: 'Decision', name: 'decision',
      options: [['approve', 'Approve'], ['request_changes', 'Request changes'], ['reject', 'Reject']],
    }),
    forms.textarea({ name: 'note', label: 'Note to the maker', rows: 3, hint: 'Required to request changes or to reject: say what to fix, or why.' }),
    h('button', { type: 'submit', class: 'button' }, 'Record decision'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { decision: forms.radioValue(form, 'decision') };
    // Nothing is chosen for the reviewer: a decision left out is said, not sent.
    if (!body.decision) {
      forms.showErrors(form, new api.ApiError(422, { errors: [{ loc: ['decision'], msg: 'Choose a decision: approve, request changes or reject.', code: 'decision_required' }] }), { scope: form.closest('li') || form });
      return;
    }
    const note = forms.text(form, 'note');
    if (note) body.note = note;
    const result = await forms.submitting(form, () => api.post(`/makers/${maker.id}/review`, body), { scope: form.closest('li') || form });
    if (result) {
      toast(`${maker.display_name}: ${fmt.makerStatus(result.status).toLowerCase()}.`);
      reload();
    }
  });
  return form;
}

function reviewCard(maker, reload) {
  const submitted = (maker.history || []).filter((e) => e.to === 'submitted').at(-1);
  return h('li', { class: 'panel review-card', dataset: { makerId: maker.id, handle: maker.handle } },
    h('h3', {}, maker.display_name, ' ', pill(maker.status, fmt.makerStatus(maker.status))),
    submitted ? h('p', { class: 'muted' }, `Submitted ${fmt.when(submitted.at)}`) : null,
    h('div', { class: 'two-col' }, makerDetails(maker), checklist(maker, { heading: 'h4' })),
    reviewForm(maker, reload));
}

async function renderReview(container, ctx) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Applications waiting for review'), box);
  const reload = () => section(box, async () => {
    const items = await api.getAll('/makers', { status: 'submitted' }, { signal: ctx.signal });
    if (!items.length) return empty('No applications are waiting. 🎉');
    return h('ul', { class: 'rows', 'aria-label': 'Review queue' }, items.map((m) => reviewCard(m, reload)));
  }, 'Loading the queue…');
  await reload();
}

// --- evidence: verify or reject sourcing claims' evidence ----------------------------------------

function verifyForm(maker, claim, reload) {
  const form = h('form', { class: 'stack inline-form', 'aria-label': `Evidence of ${maker.display_name}'s ${fmt.scheme(claim.scheme)} claim`, novalidate: true },
    forms.radioGroup({
      legend: 'Evidence', name: 'decision',
      options: [['verified', 'Verified: show the badge'], ['rejected', 'Rejected']],
    }),
    forms.textarea({ name: 'note', label: 'Note to the maker', rows: 2, hint: 'Required to reject: say why.' }),
    h('button', { type: 'submit', class: 'button button--small' }, 'Record decision'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { decision: forms.radioValue(form, 'decision') };
    // Nothing is chosen for the reviewer: a decision left out is said, not sent.
    if (!body.decision) {
      forms.showErrors(form, new api.ApiError(422, { errors: [{ loc: ['decision'], msg: 'Choose whether the evidence is verified or rejected.', code: 'decision_required' }] }), { scope: form.closest('li') || form });
      return;
    }
    const note = forms.text(form, 'note');
    if (note) body.note = note;
    const result = await forms.submitting(form, () => api.post(`/makers/${maker.id}/claims/${claim.scheme}/verify`, body));
    if (result) {
      toast(`${maker.display_name}: ${fmt.scheme(claim.scheme)} evidence ${body.decision}.`);
      reload();
    }
  });
  return form;
}

function evidenceCard(maker, reload) {
  const pending = (maker.sourcing_claims || []).filter((c) => c.status === 'pending_verification');
  return h('li', { class: 'panel review-card', dataset: { makerId: maker.id, handle: maker.handle } },
    h('h3', {}, maker.display_name, ' ', pill(maker.status, fmt.makerStatus(maker.status))),
    h('ul', { class: 'rows', 'aria-label': 'Claims waiting for verification' }, pending.map((claim) =>
      h('li', {}, h('ul', { class: 'plain' }, claimText(claim)), verifyForm(maker, claim, reload)))));
}

async function renderEvidence(container, ctx) {
  const box = h('div', {});
  replace(container, h('h2', {}, 'Evidence waiting for verification'),
    h('p', { class: 'muted' }, 'A claim shows a badge only once you have checked its certificate or evidence link.'), box);
  const reload = () => section(box, async () => {
    const items = await api.getAll('/makers', { evidence: 'pending_verification' }, { signal: ctx.signal });
    if (!items.length) return empty('No evidence is waiting.');
    return h('ul', { class: 'rows', 'aria-label': 'Evidence queue' }, items.map((m) => evidenceCard(m, reload)));
  }, 'Loading the evidence queue…');
  await reload();
}

// --- makers: suspend and reinstate ---------------------------------------------------------------

function suspendForm(maker, reload) {
  const form = h('form', { class: 'stack inline-form', 'aria-label': `Suspend ${maker.display_name}`, novalidate: true },
    forms.field({ name: 'reason', label: 'Reason for suspending', required: true }),
    h('button', { type: 'submit', class: 'button button--danger button--small' }, 'Suspend'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await forms.submitting(form, () => api.post(`/makers/${maker.id}/suspend`, { reason: forms.text(form, 'reason') }));
    if (result) {
      toast(`${maker.display_name} is suspended; their pieces are hidden.`);
      reload();
    }
  });
  return h('details', {}, h('summary', {}, 'Suspend…'), form);
}

function reinstateForm(maker, reload) {
  const form = h('form', { class: 'stack inline-form', 'aria-label': `Reinstate ${maker.display_name}`, novalidate: true },
    forms.field({ name: 'note', label: 'Note (optional)' }),
    h('button', { type: 'submit', class: 'button button--small' }, 'Reinstate'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = forms.text(form, 'note');
    const result = await forms.submitting(form, () => api.post(`/makers/${maker.id}/reinstate`, note ? { note } : {}));
    if (result) {
      toast(`${maker.display_name} is reinstated.`);
      reload();
    }
  });
  return form;
}

function makerRow(maker, reload) {
  const last = (maker.history || []).at(-1);
  return h('li', { class: 'panel', dataset: { makerId: maker.id, handle: maker.handle, status: maker.status } },
    h('h3', {}, maker.status === 'approved' ? h('a', { href: `/makers/${maker.handle}` }, maker.display_name) : maker.display_name, ' ', pill(maker.status, fmt.makerStatus(maker.status))),
    last?.note ? h('p', { class: 'muted' }, `Last note: “${last.note}” (${fmt.when(last.at)})`) : null,
    maker.status === 'approved' ? suspendForm(maker, reload) : null,
    maker.status === 'suspended' ? reinstateForm(maker, reload) : null);
}

async function renderMakers(container, ctx) {
  const status = MAKER_STATUSES.includes(ctx.query.get('status')) ? ctx.query.get('status') : 'approved';
  const box = h('div', {});
  replace(container, h('h2', {}, 'Makers'),
    tabs('Makers by status', MAKER_STATUSES.map((s) => ({ key: s, text: fmt.makerStatus(s), href: `/ops?tab=makers&status=${s}` })), status),
    box);
  const reload = () => section(box, async () => {
    const items = await api.getAll('/makers', { status }, { signal: ctx.signal });
    if (!items.length) return empty(`No makers are ${fmt.makerStatus(status).toLowerCase()}.`);
    return h('ul', { class: 'rows', 'aria-label': 'Makers' }, items.map((m) => makerRow(m, reload)));
  }, 'Loading makers…');
  await reload();
}

// --- orders ------------------------------------------------------------------------------------

/** Find an order by the reference a customer reads out (FF-7K3D-92QX, or a parcel's -1). */
function referenceSearch(reference) {
  return h('form', { class: 'field-row reference-search', method: 'get', action: '/ops', role: 'search', 'aria-label': 'Find an order by its reference' },
    h('input', { type: 'hidden', name: 'tab', value: 'orders' }),
    h('div', { class: 'field' },
      h('label', { for: 'order-reference' }, 'Order reference'),
      h('input', { id: 'order-reference', name: 'reference', value: reference || '', placeholder: 'FF-7K3D-92QX', autocomplete: 'off', spellcheck: 'false' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button--secondary' }, 'Find')));
}

async function renderOrders(container, ctx) {
  const reference = ctx.query.get('reference')?.trim() || null;
  const fetchOrders = async (cursor) => {
    try {
      return await api.get('/orders', { query: { cursor, limit: 50, reference }, signal: ctx.signal });
    } catch (error) {
      if (error instanceof api.ApiError && error.errors?.some((e) => e.code === 'reference_invalid')) {
        error.detail = `“${reference}” is not an order reference: they look like FF-7K3D-92QX.`;
      }
      throw error;
    }
  };
  const orders = pagedList(fetchOrders, orderRow,
    { emptyText: reference ? `No order has the reference ${reference}.` : 'No orders yet.', label: 'Orders' });
  const box = h('div', {});
  replace(container, h('h2', {}, 'Orders'), referenceSearch(reference), h('p', { class: 'muted' }, 'Open an order to confirm delivery of a dispatched parcel.'), box);
  await section(box, async () => { await orders.first(); return orders.box; }, 'Loading orders…');
}

export async function render(ctx) {
  setTitle('Operations');
  if (!requireRole(ctx, ['operator'], 'Operations')) return;
  const tab = TABS.some((t) => t.key === ctx.query.get('tab')) ? ctx.query.get('tab') : 'review';
  const body = h('section', { class: 'dashboard__body' });
  replace(ctx.main, h('div', { class: 'page dashboard' },
    h('h1', {}, 'Operations'),
    tabs('Operations sections', TABS.map((t) => ({ ...t, href: `/ops?tab=${t.key}` })), tab),
    body));
  if (tab === 'review') await renderReview(body, ctx);
  else if (tab === 'evidence') await renderEvidence(body, ctx);
  else if (tab === 'makers') await renderMakers(body, ctx);
  else if (tab === 'parcels') await renderParcelQueues(body, ctx);
  else if (tab === 'returns') await renderReturnsQueue(body, ctx);
  else if (tab === 'payouts') await renderPayoutRuns(body);
  else if (tab === 'reviews') replace(body, h('h2', {}, 'Reported reviews'), reportedReviews());
  else await renderOrders(body, ctx);
}
