"""Conversations between a customer and a maker: started (or continued) by the customer about
one of their orders, one of their commissions or a listing on sale; written in by either party;
read by them and by operators.

What a conversation is about is looked up here, never taken from the caller: the maker is the
order's, the commission's or the listing's own, and an order or commission that is not the
caller's is refused exactly like one that does not exist (422 `order_not_found`,
`commission_not_found`). A conversation that is not the caller's is missing (404), like one
that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.orders import store
from services.orders.domain.conversation import (
    Conversation,
    Message,
    Party,
    Subject,
    SubjectKind,
    checked_body,
    one_subject,
)
from services.orders.domain.events import utcnow
from shared.db import Executor, UnitOfWork
from shared.errors import RulesViolated, Violation, not_found, rules_violated


@dataclass(frozen=True)
class Caller:
    """Who is asking, as far as conversations care: a customer, a maker user (with their maker
    id, None when the makers read model does not know them yet) or an operator."""

    user_id: uuid.UUID
    role: str
    maker_id: uuid.UUID | None = None

    def party_in(self, conversation: Conversation) -> Party | None:
        if self.role == "customer":
            return conversation.party_of(user_id=self.user_id, maker_id=None)
        if self.role == "maker":
            return (
                Party.MAKER if self.maker_id is not None and self.maker_id == conversation.maker_id else None
            )
        return None


async def caller(db: Executor, user_id: uuid.UUID, role: str) -> Caller:
    maker_id = await store.maker_id_for_user(db, user_id) if role == "maker" else None
    return Caller(user_id=user_id, role=role, maker_id=maker_id)


def _refused(field: str, message: str, code: str) -> RulesViolated:
    return rules_violated([Violation((field,), message, code)])


async def _order_subject(
    db: Executor, customer_id: uuid.UUID, order_id: uuid.UUID, maker_id: uuid.UUID | None
) -> tuple[Subject, uuid.UUID]:
    """An order of the customer's, and which of its makers: the one named, or its only one."""
    order = await store.read_order(db, order_id)
    if order is None or order.customer_id != customer_id:
        raise _refused("order_id", "You have no order with this id", "order_not_found")
    makers = list(dict.fromkeys(line.maker_id for line in order.lines))
    if maker_id is None:
        if len(makers) > 1:
            raise _refused(
                "maker_id", "This order is from several makers: name the one to write to", "maker_required"
            )
        maker_id = makers[0]
    elif maker_id not in makers:
        raise _refused("maker_id", "This maker made nothing in this order", "maker_not_in_order")
    reference = next((mo.reference for mo in order.maker_orders if mo.maker_id == maker_id), order.reference)
    return Subject(SubjectKind.ORDER, order.id, f"Order {reference}"), maker_id


async def _commission_subject(
    db: Executor, customer_id: uuid.UUID, commission_id: uuid.UUID
) -> tuple[Subject, uuid.UUID]:
    commission = await store.read_commission(db, commission_id)
    if commission is None or commission.customer_id != customer_id:
        raise _refused("commission_id", "You have no commission with this id", "commission_not_found")
    brief = " ".join(commission.brief.split())
    title = f"Commission: {brief[:80]}{'…' if len(brief) > 80 else ''}"
    return Subject(SubjectKind.COMMISSION, commission.id, title), commission.maker_id


async def _listing_subject(db: Executor, listing_id: uuid.UUID) -> tuple[Subject, uuid.UUID]:
    """A listing the public can see (published, its maker approved)."""
    found = (await store.listings(db, {listing_id})).get(listing_id)
    if found is None or not found.visible:
        raise _refused("listing_id", "There is no piece on sale with this id", "listing_not_found")
    return Subject(SubjectKind.LISTING, found.listing_id, found.title), found.maker_id


async def start_conversation(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    body: str,
    order_id: uuid.UUID | None = None,
    commission_id: uuid.UUID | None = None,
    listing_id: uuid.UUID | None = None,
    maker_id: uuid.UUID | None = None,
) -> tuple[Conversation, Message]:
    """The customer writes to the maker of an order (`maker_id` names which maker of an order
    from several; codes maker_required, maker_not_in_order), a commission or a listing. Their
    conversation about it is continued when there is one, else started. Codes:
    subject_required, order_not_found, commission_not_found, listing_not_found,
    maker_not_in_order (a `maker_id` that is not the commission's or listing's maker either),
    message_required, message_too_long."""
    kind, subject_id = one_subject(order_id, commission_id, listing_id)
    checked_body(body)  # before any lookup: a bad message is refused whatever it is about
    if kind is SubjectKind.ORDER:
        subject, subject_maker = await _order_subject(uow.conn, customer_id, subject_id, maker_id)
    elif kind is SubjectKind.COMMISSION:
        subject, subject_maker = await _commission_subject(uow.conn, customer_id, subject_id)
    else:
        subject, subject_maker = await _listing_subject(uow.conn, subject_id)
    if maker_id is not None and maker_id != subject_maker:
        raise _refused("maker_id", "This is not the maker of what you are asking about", "maker_not_in_order")
    now = utcnow()
    conversation = await store.claim_conversation(
        uow, Conversation.start(customer_id=customer_id, maker_id=subject_maker, subject=subject, now=now)
    )
    message = conversation.post(by=Party.CUSTOMER, sender_id=customer_id, body=body, now=now)
    await store.save_conversation(uow, conversation)
    return conversation, message


async def post_message(
    uow: UnitOfWork, *, conversation_id: uuid.UUID, who: Caller, body: str
) -> tuple[Conversation, Message]:
    """One of the two parties writes; anyone else finds no such conversation."""
    conversation = await store.load_conversation(uow, conversation_id)
    party = who.party_in(conversation) if conversation is not None else None
    if conversation is None or party is None:
        raise not_found("Conversation")
    message = conversation.post(by=party, sender_id=who.user_id, body=body)
    await store.save_conversation(uow, conversation)
    return conversation, message


async def open_conversation(db: Executor, *, conversation_id: uuid.UUID, who: Caller) -> Conversation:
    """A conversation as its party (read up to now) or an operator sees it; anyone else finds
    no such conversation."""
    conversation = await store.read_conversation(db, conversation_id)
    if conversation is None:
        raise not_found("Conversation")
    party = who.party_in(conversation)
    if party is None and who.role != "operator":
        raise not_found("Conversation")
    if party is not None and conversation.unread_for(party):
        now = utcnow()
        await store.mark_read(db, conversation.id, party, now)
        if party is Party.CUSTOMER:
            conversation.customer_read_at = now
        else:
            conversation.maker_read_at = now
    return conversation
