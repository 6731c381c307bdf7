// Returns after delivery, as customers, makers and operators see them: the words for reasons,
// states and every refusal the server can give, and one card per return.

import { h, dl } from '../core/dom.js';
import { ApiError } from '../core/api.js';
import { words } from '../core/messages.js';
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

export const returnReason = (code) => RETURN_REASONS[code] || 'Other';
export const returnStatus = (code) => RETURN_STATUS[code] || 'Unknown';

/** The same error with every message in words people read, whatever the code. */
export function humanReturnError(error) {
  if (!(error instanceof ApiError)) return error;
  const problem = {
    ...error.problem,
    detail: words(error.code, 'returns') || error.detail,
    errors: error.errors.map((entry) => ({ ...entry, msg: words(entry.code, 'returns') || entry.msg })),
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
