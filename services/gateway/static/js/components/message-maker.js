// "Message the maker": the link from a piece, an order or a commission to the form a customer
// writes to its maker with (/messages?listing_id=…, ?order_id=…&maker_id=…, ?commission_id=…).
// Shown to customers and to people not signed in (who are asked to sign in first), never to
// makers or operators, who do not start conversations.

import * as session from '../core/session.js';
import { h } from '../core/dom.js';
import { queryString } from '../core/api.js';
import { MESSAGE_WORDS as WORDS } from '../core/messages.js';

/** A paragraph with the link, or null for makers and operators. subject: {listing_id} |
 * {order_id, maker_id} | {commission_id}; `makerName` when known. */
export function messageMakerLink(subject, makerName, { small = false } = {}) {
  const role = session.user()?.role;
  if (role && role !== 'customer') return null;
  const label = makerName ? WORDS.messageMakerNamed(makerName) : WORDS.messageMaker;
  return h('p', { class: 'message-maker' }, h('a', {
    href: `/messages${queryString(subject)}`,
    class: `button button--secondary${small ? ' button--small' : ''}`,
    dataset: { messageMaker: '' },
  }, label));
}
