"""The notifications use cases: keep who people are, turn an event into what it owes them (in
the consumer's unit of work, so the inbox row, the deliveries and the in-app notifications of
one event commit together), and the readers' and operators' actions.

An event that names a maker or an order this service has not learnt of yet raises `NotKnownYet`:
the consumer retries it later (the maker's or order's own event is on its way), and parks it
after its last retry, to be replayed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from services.notifications import store
from services.notifications.domain import EmailPreferences, Notice, Unsubscribe
from services.notifications.domain import notices as owed
from shared.contracts import Envelope
from shared.contracts.identity import (
    EmailChanged,
    EmailVerified,
    PasswordResetRequested,
    UserRegistered,
    VerificationRequested,
)
from shared.contracts.makers import MakerSnapshotEvent
from shared.contracts.orders import (
    CommissionQuoted,
    CommissionRequested,
    ConversationMessagePosted,
    MakerOrderDeclined,
    MakerOrderEvent,
    MakerOrderRefunded,
    OrderCancelled,
    OrderConfirmed,
    PayoutPaid,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
)
from shared.contracts.reviews import ReviewPublished, ReviewReplied
from shared.db import UnitOfWork


class NotKnownYet(LookupError):
    """The event names someone or something whose own event has not arrived yet."""


def _now() -> datetime:
    return datetime.now(UTC)


async def owe(uow: UnitOfWork, envelope: Envelope, notices: list[Notice]) -> None:
    """Record what `envelope`'s event owes: each notice's in-app notification, and its email
    unless the recipient turned its category off."""
    at = _now()
    for notice in notices:
        if notice.in_app is not None:
            await store.insert_notification(uow.conn, envelope.event_id, notice, at)
        category = notice.kind.category
        # Account and transactional emails go whatever the preferences say: not even read.
        if not category.optional or (await store.preferences(uow.conn, notice.recipient)).wants(category):
            await store.insert_delivery(uow.conn, envelope.event_id, notice)


# --- identity ----------------------------------------------------------------------------------


async def on_registered(uow: UnitOfWork, event: UserRegistered, envelope: Envelope) -> None:
    recipient = store.Recipient(
        event.user_id, event.email, event.display_name, event.role, event.email_verified
    )
    await store.save_recipient(uow.conn, recipient, _now())


async def on_verification_requested(
    uow: UnitOfWork, event: VerificationRequested, envelope: Envelope
) -> None:
    await owe(uow, envelope, [owed.verification(event)])


async def on_password_reset_requested(
    uow: UnitOfWork, event: PasswordResetRequested, envelope: Envelope
) -> None:
    await owe(uow, envelope, [owed.password_reset(event)])


async def on_email_verified(uow: UnitOfWork, event: EmailVerified, envelope: Envelope) -> None:
    await store.set_email(uow.conn, event.user_id, event.email, True, _now())


async def on_email_changed(uow: UnitOfWork, event: EmailChanged, envelope: Envelope) -> None:
    known = await store.recipient(uow.conn, event.user_id)
    await store.set_email(uow.conn, event.user_id, event.email, False, _now())
    await owe(uow, envelope, [owed.email_changed(event, known.display_name if known else "")])


# --- makers ------------------------------------------------------------------------------------


async def on_maker_changed(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
    await store.save_maker(uow.conn, event.maker_id, event.user_id, event.display_name, event.maker_version)
    decision = owed.application_decision(event.event_type, event.user_id, event.display_name)
    if decision is not None:
        await owe(uow, envelope, [decision])


async def _maker(uow: UnitOfWork, maker_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """(user id, name) of a maker."""
    known = await store.makers(uow.conn, [maker_id])
    if maker_id not in known:
        raise NotKnownYet(f"maker {maker_id} not known yet")
    return known[maker_id]


async def _order(uow: UnitOfWork, order_id: uuid.UUID) -> tuple[uuid.UUID, str | None]:
    """(customer id, reference) of an order."""
    known = await store.order(uow.conn, order_id)
    if known is None:
        raise NotKnownYet(f"order {order_id} not known yet")
    return known


# --- orders ------------------------------------------------------------------------------------


async def on_order_confirmed(uow: UnitOfWork, event: OrderConfirmed, envelope: Envelope) -> None:
    await store.save_order(uow.conn, event.order_id, event.customer_id, event.reference)
    maker_ids = [part.maker_id for part in event.maker_orders]
    known = await store.makers(uow.conn, maker_ids)
    if missing := set(maker_ids) - known.keys():
        raise NotKnownYet(f"makers {sorted(map(str, missing))} not known yet")
    await owe(uow, envelope, owed.order_confirmed(event, {m: user for m, (user, _) in known.items()}))


async def on_order_cancelled(uow: UnitOfWork, event: OrderCancelled, envelope: Envelope) -> None:
    await store.save_order(uow.conn, event.order_id, event.customer_id, event.reference)
    await owe(uow, envelope, [owed.order_cancelled(event)])


async def on_parcel(uow: UnitOfWork, event: MakerOrderEvent, envelope: Envelope) -> None:
    """Dispatched or delivered."""
    customer, _ = await _order(uow, event.order_id)
    _, maker_name = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.parcel(event, customer, maker_name)])


async def on_part_declined(uow: UnitOfWork, event: MakerOrderDeclined, envelope: Envelope) -> None:
    customer, _ = await _order(uow, event.order_id)
    _, maker_name = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.part_declined(event, customer, maker_name)])


async def on_maker_order_cancelled(uow: UnitOfWork, event: MakerOrderEvent, envelope: Envelope) -> None:
    maker_user, _ = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.maker_order_cancelled(event, maker_user)])


async def on_part_refunded(uow: UnitOfWork, event: MakerOrderRefunded, envelope: Envelope) -> None:
    customer, _ = await _order(uow, event.order_id)
    await owe(uow, envelope, [owed.refund(event, customer, event.reference)])


async def on_return_requested(uow: UnitOfWork, event: ReturnRequested, envelope: Envelope) -> None:
    maker_user, _ = await _maker(uow, event.maker_id)
    known = await store.order(uow.conn, event.order_id)
    await owe(uow, envelope, [owed.return_requested(event, maker_user, known[1] if known else None)])


async def on_return_refunded(uow: UnitOfWork, event: ReturnRefunded, envelope: Envelope) -> None:
    known = await store.order(uow.conn, event.order_id)
    await owe(uow, envelope, [owed.refund(event, event.customer_id, known[1] if known else None)])


async def on_return_rejected(uow: UnitOfWork, event: ReturnRejected, envelope: Envelope) -> None:
    known = await store.order(uow.conn, event.order_id)
    await owe(uow, envelope, [owed.return_rejected(event, known[1] if known else None)])


async def on_commission_requested(uow: UnitOfWork, event: CommissionRequested, envelope: Envelope) -> None:
    maker_user, _ = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.commission_requested(event, maker_user)])


async def on_commission_quoted(uow: UnitOfWork, event: CommissionQuoted, envelope: Envelope) -> None:
    _, maker_name = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.commission_quoted(event, maker_name)])


async def on_payout_paid(uow: UnitOfWork, event: PayoutPaid, envelope: Envelope) -> None:
    maker_user, _ = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.payout_paid(event, maker_user)])


async def on_message_posted(uow: UnitOfWork, event: ConversationMessagePosted, envelope: Envelope) -> None:
    """A customer wrote: their maker hears of it (named by the customer's name); a maker wrote:
    the customer hears of it (named by the maker's)."""
    maker_user, maker_name = await _maker(uow, event.maker_id)
    if event.sender_role == "customer":
        known = await store.recipient(uow.conn, event.customer_id)
        sender = known.display_name if known and known.display_name else "A customer"
        await owe(uow, envelope, [owed.message_posted(event, maker_user, sender)])
    else:
        await owe(uow, envelope, [owed.message_posted(event, event.customer_id, maker_name)])


# --- reviews -----------------------------------------------------------------------------------


async def on_review_published(uow: UnitOfWork, event: ReviewPublished, envelope: Envelope) -> None:
    """The maker of the piece hears of a new review (email only if they want review emails)."""
    maker_user, _ = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.new_review(event, maker_user)])


async def on_review_replied(uow: UnitOfWork, event: ReviewReplied, envelope: Envelope) -> None:
    """The customer hears the maker answered their review."""
    _, maker_name = await _maker(uow, event.maker_id)
    await owe(uow, envelope, [owed.review_replied(event, maker_name)])


# --- people's and operators' actions -----------------------------------------------------------


PRODUCER = "notifications"


async def choose_preferences(
    pool: asyncpg.Pool, user_id: uuid.UUID, chosen: EmailPreferences
) -> EmailPreferences:
    async with UnitOfWork(pool, PRODUCER) as uow:
        await store.save_preferences(uow.conn, user_id, chosen, _now())
    return chosen


async def unsubscribe(pool: asyncpg.Pool, who: Unsubscribe) -> EmailPreferences:
    """Turn one category off for one person, keeping their other choices."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        current = await store.preferences(uow.conn, who.user_id, lock=True)
        chosen = current.without(who.category)
        await store.save_preferences(uow.conn, who.user_id, chosen, _now())
    return chosen


async def read(pool: asyncpg.Pool, user_id: uuid.UUID, notification_id: uuid.UUID) -> store.InAppRow | None:
    """The person's notification, read now if it was not; None when it is not theirs."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        return await store.mark_read(uow.conn, user_id, notification_id)


async def read_all(pool: asyncpg.Pool, user_id: uuid.UUID) -> int:
    async with UnitOfWork(pool, PRODUCER) as uow:
        return await store.mark_all_read(uow.conn, user_id)


async def replay_parked(pool: asyncpg.Pool, ids: list[uuid.UUID] | None = None) -> int:
    """Parked emails (these, or every one) due again, their attempts reset."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        return await store.replay_parked(uow.conn, ids)
