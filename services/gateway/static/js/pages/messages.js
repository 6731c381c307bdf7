// /messages: the signed-in person's conversations (customers with makers, makers with their
// customers; operators read them all), the most recently written in first, those with something
// new marked. /messages/{id}: one conversation, oldest message first, with the reply form for
// its two parties. /messages?listing_id= (or order_id and maker_id, or commission_id) opens the
// form a customer writes to the maker with from a product page, an order or a commission.
// Messages are shown as the text they are: markup in them is never interpreted.

import * as api from '../core/api.js';
import { requireRole } from '../core/auth.js';
import { h, replace } from '../core/dom.js';
import * as fmt from '../core/format.js';
import * as forms from '../core/forms.js';
import { toast } from '../core/live.js';
import { MESSAGE_WORDS as WORDS } from '../core/messages.js';
import { setTitle } from '../core/router.js';
import { errorBox, section } from '../components/ui.js';
import { refreshBell } from '../components/bell.js';
import { pagedList } from './orders.js';

const ROLES = ['customer', 'maker', 'operator'];
const MAX_CHARS = 2000;
const SUBJECTS = ['listing_id', 'order_id', 'commission_id'];

/** Who the other side is, as the reader sees it. */
function otherParty(conversation, role) {
  if (role === 'customer') return conversation.maker_name || WORDS.theMaker;
  if (role === 'maker') return WORDS.theCustomer;
  return `${WORDS.theCustomer} ${WORDS.and} ${conversation.maker_name || WORDS.theMaker}`;
}

function conversationRow(role) {
  return (conversation) => h('li', {
    class: `row-card conversation${conversation.unread ? ' conversation--unread' : ''}`,
    dataset: { conversationId: conversation.id, unread: String(conversation.unread) },
  },
  h('a', { href: `/messages/${conversation.id}`, class: 'row-card__link' },
    h('span', { class: 'row-card__title' }, conversation.subject.title),
    h('span', { class: 'row-card__meta' }, `${WORDS.with} ${otherParty(conversation, role)} · `,
      h('time', { datetime: conversation.last_message_at }, fmt.when(conversation.last_message_at)))),
  conversation.unread ? h('span', { class: 'row-card__side' }, h('span', { class: 'pill pill--wait' }, WORDS.unread)) : null);
}

function bodyField(label) {
  return forms.textarea({
    name: 'body',
    label,
    required: true,
    rows: 4,
    hint: WORDS.lengthHint,
    attrs: { maxlength: String(MAX_CHARS) },
  });
}

/** Who wrote a message, as the reader sees it. */
function author(message, conversation, role) {
  if (message.sender_role === role) return WORDS.you;
  return message.sender_role === 'maker' ? (conversation.maker_name || WORDS.theMaker) : WORDS.theCustomer;
}

function messageItem(message, conversation, role) {
  const mine = message.sender_role === role;
  return h('li', {
    class: `message ${mine ? 'message--mine' : 'message--theirs'}`,
    dataset: { messageId: message.id, senderRole: message.sender_role },
  },
  h('p', { class: 'message__meta' },
    h('strong', {}, author(message, conversation, role)), ' · ',
    h('time', { datetime: message.created_at }, fmt.when(message.created_at))),
  // As text: a message's markup is shown, never run.
  h('p', { class: 'message__body' }, message.body));
}

function thread(conversation, role) {
  return h('ol', { class: 'messages', 'aria-label': WORDS.threadLabel, dataset: { thread: '' } },
    conversation.messages.map((message) => messageItem(message, conversation, role)));
}

function replyForm(conversation, onSent) {
  const form = h('form', { class: 'stack panel', 'aria-labelledby': 'reply-title', novalidate: true, dataset: { replyForm: '' } },
    h('h2', { id: 'reply-title' }, WORDS.replyTitle),
    bodyField(WORDS.replyLabel),
    h('button', { type: 'submit', class: 'button' }, WORDS.send));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = forms.text(form, 'body');
    const updated = await forms.submitting(form, () => api.post(`/conversations/${conversation.id}/messages`, { body }), { busyLabel: WORDS.sending });
    if (!updated) return;
    form.elements.namedItem('body').value = '';
    toast(WORDS.sent);
    onSent(updated);
  });
  return form;
}

async function showConversation(ctx, user) {
  const { signal } = ctx;
  const conversation = await api.get(`/conversations/${encodeURIComponent(ctx.params.id)}`, { signal });
  refreshBell();
  setTitle(conversation.subject.title);
  const role = user.role;
  const threadBox = h('div', {});
  const draw = (current) => replace(threadBox,
    current.earlier_cursor ? h('p', { class: 'muted' }, WORDS.earlierNotShown) : null,
    thread(current, role));
  draw(conversation);
  const subjectLink = {
    listing: conversation.listing_id && `/listings/${conversation.listing_id}`,
    order: role === 'customer' && conversation.order_id ? `/orders/${conversation.order_id}` : null,
    commission: role === 'customer' && conversation.commission_id ? `/commissions/${conversation.commission_id}` : null,
  }[conversation.subject.kind];
  replace(ctx.main, h('div', { class: 'page page--narrow', dataset: { conversationId: conversation.id } },
    h('p', { class: 'eyebrow' }, h('a', { href: '/messages' }, WORDS.allMessages)),
    h('h1', {}, conversation.subject.title),
    h('p', { class: 'muted' }, `${WORDS.conversationWith} ${otherParty(conversation, role)}`,
      subjectLink ? [' · ', h('a', { href: subjectLink }, WORDS.subjectLinks[conversation.subject.kind])] : null),
    threadBox,
    role === 'operator'
      ? h('p', { class: 'notice', dataset: { readOnly: '' } }, WORDS.operatorsRead)
      : replyForm(conversation, (updated) => {
        draw(updated);
        threadBox.querySelector('.message:last-child')?.scrollIntoView({ block: 'nearest' });
      })));
}

/** The subject a customer came to write about (from a product page, an order or a commission). */
function requestedSubject() {
  const params = new URLSearchParams(window.location.search);
  const subject = {};
  for (const name of [...SUBJECTS, 'maker_id']) {
    if (params.get(name)) subject[name] = params.get(name);
  }
  return SUBJECTS.some((name) => subject[name]) ? subject : null;
}

async function subjectTitle(subject, signal) {
  if (subject.listing_id) {
    const listing = await api.get(`/listings/${encodeURIComponent(subject.listing_id)}`, { signal }).catch(() => null);
    return listing ? `${WORDS.about} ${listing.title}` : WORDS.aboutPiece;
  }
  if (subject.order_id) {
    const order = await api.get(`/orders/${encodeURIComponent(subject.order_id)}`, { signal }).catch(() => null);
    return order ? `${WORDS.about} ${WORDS.order} ${order.reference}` : WORDS.aboutOrder;
  }
  return WORDS.aboutCommission;
}

async function composeForm(ctx, subject) {
  const title = await subjectTitle(subject, ctx.signal);
  const form = h('form', { class: 'stack panel', 'aria-labelledby': 'compose-title', novalidate: true, dataset: { composeForm: '' } },
    h('h2', { id: 'compose-title' }, WORDS.composeTitle),
    h('p', { class: 'muted' }, title),
    bodyField(WORDS.composeLabel),
    h('button', { type: 'submit', class: 'button' }, WORDS.send));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { ...subject, body: forms.text(form, 'body') };
    const conversation = await forms.submitting(form, () => api.post('/conversations', body), { busyLabel: WORDS.sending });
    if (!conversation) return;
    toast(WORDS.sent);
    ctx.navigate(`/messages/${conversation.id}`);
  });
  return form;
}

export async function render(ctx) {
  setTitle(WORDS.title);
  const user = requireRole(ctx, ROLES, WORDS.title);
  if (!user) return;
  if (ctx.params.id) {
    try {
      await showConversation(ctx, user);
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(ctx.main, h('div', { class: 'page page--narrow' },
        h('p', { class: 'eyebrow' }, h('a', { href: '/messages' }, WORDS.allMessages)),
        h('h1', {}, WORDS.title), errorBox(error)));
    }
    return;
  }
  const { signal } = ctx;
  const subject = user.role === 'customer' ? requestedSubject() : null;
  const composeBox = h('div', {});
  const listBox = h('div', {});
  replace(ctx.main, h('div', { class: 'page page--narrow' },
    h('h1', {}, WORDS.title),
    composeBox,
    h('h2', { id: 'conversations-title' }, WORDS.listTitle),
    listBox));
  const list = pagedList((cursor) => api.get('/conversations', { query: { cursor, limit: 20 }, signal }), conversationRow(user.role),
    { emptyText: WORDS.empty[user.role], label: WORDS.listTitle });
  await Promise.all([
    subject ? section(composeBox, () => composeForm(ctx, subject), WORDS.loading) : null,
    section(listBox, async () => { await list.first(); return list.box; }, WORDS.loading),
  ]);
}
