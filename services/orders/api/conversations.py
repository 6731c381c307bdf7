"""Conversations between a customer and a maker: started by the customer about one of their
orders, commissions or a listing; written in by its two parties; read by them and operators
(who never write). Anyone else's conversation is missing (404), like one that does not exist."""

from __future__ import annotations

import uuid

from services.orders import schemas, store, usecases
from services.orders.api.common import in_unit_of_work, routes
from services.orders.domain.conversation import Conversation
from shared.db import Executor
from shared.http import POOL, Call
from shared.paging import Page, decode_time_id, encode_time_id

# The newest messages a conversation is shown with; earlier ones are read with `?before=`.
MESSAGES_SHOWN = 100

START_REFUSALS = (
    "subject_required (name exactly one of order_id, commission_id, listing_id), order_not_found, "
    "commission_not_found, listing_not_found (another customer's order or commission is refused "
    "the same way), maker_required (an order from several makers), maker_not_in_order; a body "
    "of 0 or over 2000 characters"
)


async def _view(
    db: Executor, conversation: Conversation, who: usecases.Caller, before: str | None = None
) -> schemas.ConversationView:
    messages, position = await store.messages_page(
        db, conversation.id, before=decode_time_id(before), limit=MESSAGES_SHOWN
    )
    names = await store.maker_names(db, [conversation.maker_id])
    return schemas.conversation_view(
        conversation,
        who.party_in(conversation),
        names.get(conversation.maker_id),
        list(reversed(messages)),
        encode_time_id(position),
    )


@routes.post(
    "/api/v1/conversations",
    body=schemas.ConversationIn,
    response=schemas.ConversationView,
    status=201,
    roles=("customer",),
    extra_responses={422: START_REFUSALS},
)
async def start_conversation(call: Call) -> schemas.ConversationView:
    """Write to the maker of one of your orders (`maker_id` names which, for an order from
    several makers: one conversation per maker), one of your commissions, or a piece on sale.
    Writing again about the same thing continues the same conversation (same `id`)."""
    body: schemas.ConversationIn = call.body
    customer_id = call.user.user_id
    conversation, _ = await in_unit_of_work(
        call,
        lambda uow: usecases.start_conversation(
            uow,
            customer_id=customer_id,
            body=body.body,
            order_id=body.order_id,
            commission_id=body.commission_id,
            listing_id=body.listing_id,
            maker_id=body.maker_id,
        ),
    )
    return await _view(call.app[POOL], conversation, usecases.Caller(customer_id, "customer"))


@routes.get(
    "/api/v1/conversations",
    query=schemas.ConversationListQuery,
    response=Page[schemas.ConversationSummary],
    roles=("customer", "maker", "operator"),
)
async def list_conversations(call: Call) -> Page[schemas.ConversationSummary]:
    """The caller's conversations (a customer's, a maker's; operators: everyone's), the most
    recently written in first, each saying whether the other party wrote since the caller last
    opened it (`unread`)."""
    query: schemas.ConversationListQuery = call.query
    pool = call.app[POOL]
    after = decode_time_id(query.cursor)
    who = await usecases.caller(pool, call.user.user_id, call.user.role)
    if who.role == "maker" and who.maker_id is None:
        return Page(items=[])
    found, position = await store.conversations_page(
        pool,
        customer_id=who.user_id if who.role == "customer" else None,
        maker_id=who.maker_id if who.role == "maker" else None,
        after=after,
        limit=query.limit,
    )
    names = await store.maker_names(pool, list({c.maker_id for c in found}))
    return Page(
        items=[schemas.conversation_summary(c, who.party_in(c), names.get(c.maker_id)) for c in found],
        next_cursor=encode_time_id(position),
    )


@routes.get(
    "/api/v1/conversations/{id}",
    query=schemas.ConversationQuery,
    response=schemas.ConversationView,
    roles=("customer", "maker", "operator"),
)
async def get_conversation(call: Call) -> schemas.ConversationView:
    """A conversation with its messages, oldest first (the newest 100; `?before=earlier_cursor`
    for those before). Opening it marks it read for the party opening it."""
    pool = call.app[POOL]
    query: schemas.ConversationQuery = call.query
    decode_time_id(query.before)  # a bad cursor is a 400 before anything is looked up
    who = await usecases.caller(pool, call.user.user_id, call.user.role)
    conversation = await usecases.open_conversation(pool, conversation_id=call.path_id(), who=who)
    return await _view(pool, conversation, who, query.before)


@routes.post(
    "/api/v1/conversations/{id}/messages",
    body=schemas.MessageIn,
    response=schemas.ConversationView,
    status=201,
    roles=("customer", "maker"),
    extra_responses={422: "a body of 0 or over 2000 characters"},
)
async def post_message(call: Call) -> schemas.ConversationView:
    """Write in the conversation (its customer or its maker): 201 the conversation with the
    new message last. Operators read conversations but never write in them (403)."""
    body: schemas.MessageIn = call.body
    pool = call.app[POOL]
    who = await usecases.caller(pool, call.user.user_id, call.user.role)
    conversation_id: uuid.UUID = call.path_id()
    conversation, _ = await in_unit_of_work(
        call, lambda uow: usecases.post_message(uow, conversation_id=conversation_id, who=who, body=body.body)
    )
    return await _view(pool, conversation, who)
