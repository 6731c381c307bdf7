// Returns after delivery, as customers, makers and operators see them: the words for reasons,
// states and every refusal the server can give, and one card per return.

import { h, dl } from '../core/dom.js';
import { ApiError } from '../core/api.js';
import * as fmt from '../core/format.js';
import { pill } from './ui.js';

export const RETURN_REASONS = {
  changed_mind: 'I changed my mind',
  faulty: 'It is faulty',
  not_as_described: 'It is not as described',
};
const RETURN_STATUS = {
  requested: 'On its way back', refunded: 'Received and refunded', rejected: 'Rejected',
};

// Every code a return can be refused with, in words (never the code itself).
const RETURN_ERRORS = {
  not_delivered: 'This parcel has not been delivered yet, so nothing in it can be returned.',
  return_window_closed: 'The time to return this piece for that reason has passed.',
  return_not_allowed: 'This piece was personalised for you, so it can be returned only if it is faulty or not as described.',
  quantity_exceeds_returnable: 'That is more than you can still return: some may already be on their way back or refunded.',
  one_parcel_per_return: 'Each parcel goes back to its own maker: return the pieces of one parcel at a time.',
  return_empty: 'Choose how many of each piece you are sending back.',
  unknown_line: 'That piece is not part of this order.',
  duplicate_line: 'Each piece can be listed only once.',
  quantity_invalid: 'Choose how many of each piece you are sending back.',
  note_too_long: 'The note is too long: 2,000 characters at most.',
  enum: 'Choose why you are returning it.',
  reason_required: 'Say why the return is rejected.',
  reason_too_long: 'The reason is too long: 1,000 characters at most.',
  already_refunded: 'The whole parcel has already been refunded, so there is nothing more to refund for this return.',
  invalid_state: 'This return has already been dealt with. Reload the page to see where it stands.',
  refund_exceeds_captured: 'This refund would be more than the customer paid. Please contact support.',
  not_found: 'This return could not be found.',
};

export const returnReason = (code) => RETURN_REASONS[code] || 'Other';
export const returnStatus = (code) => RETURN_STATUS[code] || 'Unknown';

/** The same error with every message in words people read, whatever the code. */
export function humanReturnError(error) {
  if (!(error instanceof ApiError)) return error;
  const problem = {
    ...error.problem,
    detail: RETURN_ERRORS[error.code] || error.detail,
    errors: error.errors.map((entry) => ({ ...entry, msg: RETURN_ERRORS[entry.code] || entry.msg })),
  };
  return new ApiError(error.status, problem);
}

/** One return: its pieces, reason, note, and what was refunded or why it was rejected. */
export function returnCard(ret, { heading = 'h3', actions = null } = {}) {
  return h('article', { class: 'panel return-card', dataset: { returnId: ret.id, status: ret.status } },
    h(heading, {}, `Return of ${fmt.day(ret.created_at)}: `, pill(ret.status, returnStatus(ret.status))),
    h('ul', { class: 'plain' }, (ret.lines || []).map((line) => h('li', {}, `${line.quantity} × ${line.title} (${fmt.money(line.amount)})`))),
    dl([
      ['Reason', returnReason(ret.reason)],
      ['Note', ret.note || null],
      ['Refunded', ret.refund ? fmt.money(ret.refund.amount) : null],
      ['Of which shipping', ret.refund && ret.refund.shipping.amount > 0 ? fmt.money(ret.refund.shipping) : null],
      ['Rejected because', ret.rejection_reason],
    ]),
    actions);
}
