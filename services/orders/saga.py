"""The order saga's steps that involve the payment provider (taking payment, giving money
back) and the sweepers that keep the saga moving when nobody asks (expiry, compensation
retries, forgetting idempotency keys). The reactions to events that drive it are use cases
(services/orders/usecases/), which call these steps (docs/architecture.md, The order saga).

Every step works on an order loaded locked (`store.load_order`), so the consumer, the sweepers
and HTTP requests acting on one order take turns; each transition is a domain method that is a
no-op when its effect already happened, so a redelivered event or a second sweeper changes
nothing twice.

Payment is taken in one step: the order's total is authorised, then captured, and the order
is confirmed with both recorded in one transaction. The provider is called outside that
transaction's reach (it keeps its own records), each call with one idempotency key per order
and operation: a retry after a transient error, a crash between the provider's answer and the
commit, or a redelivery asks again under the same keys and gets the same authorisation and the
same capture, never a second charge. Transient errors are retried a few times inside the step
(ORDERS_PAYMENT_ATTEMPTS, with backoff); if the provider is still failing the step raises, the
transaction rolls back and the consumer's retry queues bring the event back later. An order
that never settles is cancelled as expired by the sweeper, which gives back whatever the
provider holds under the order's key (`void_unrecorded_authorisation`).

Compensation (refunds of captured money, voids of uncaptured authorisations) is state on the
order: the step that owes money tries to pay it back at once, inside the same transaction (safe
to repeat: refunds carry idempotency keys, voids are idempotent); what the provider refuses
stays due and the compensation sweeper retries it.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web

from services.orders import store
from services.orders.domain import (
    AuthorisationOutcome,
    CaptureOutcome,
    Order,
    PaymentProvider,
    PaymentProviderError,
)
from services.orders.payments import PROVIDER, authorise_with_retries, capture_with_retries
from services.orders.settings import ORDERS_SETTINGS, OrdersSettings
from shared.consumer import fault_point
from shared.db import UnitOfWork
from shared.http import POOL
from shared.idempotency import delete_expired
from shared.logging import get_logger

log = get_logger()

EXPIRY_BATCH = 100
COMPENSATION_BATCH = 20
# How long a refund or void the provider refused waits before the sweeper tries again.
COMPENSATION_RETRY_S = 30.0


class PaymentUnavailable(RuntimeError):
    """The provider kept failing transiently; the event is retried later."""


# --- steps ---------------------------------------------------------------------------------------


async def take_payment_if_due(
    provider: PaymentProvider, settings: OrdersSettings, conn: asyncpg.Connection, order: Order
) -> None:
    """When stock is held and payment has not been decided: authorise the order's total and
    capture it, then confirm the order (splitting it into maker orders) with both recorded; or
    cancel it as payment_declined, voiding an authorisation whose capture was declined."""
    if not order.awaiting_payment:
        return
    attempts, backoff_s = settings.payment_attempts, settings.payment_retry_backoff_s
    authorisation = await authorise_with_retries(
        provider,
        order.payment.token,
        order.total,
        order.payment_idempotency_key,
        attempts=attempts,
        backoff_s=backoff_s,
    )
    if authorisation.outcome is AuthorisationOutcome.DECLINED:
        order.payment_declined()
        return
    if authorisation.transient:
        raise PaymentUnavailable(f"order {order.id}: {authorisation.detail}")
    assert authorisation.reference is not None
    capture = await capture_with_retries(
        provider,
        authorisation.reference,
        order.total,
        order.capture_idempotency_key,
        attempts=attempts,
        backoff_s=backoff_s,
    )
    # Testing hook: the provider has authorised and captured (and kept its answers), the order
    # has not been saved: a crash here must neither lose the order nor take the money twice.
    fault_point(settings, "mid_saga")
    if capture.outcome is CaptureOutcome.CAPTURED:
        assert capture.reference is not None
        order.payment_authorised(authorisation.reference, commission_rate=settings.commission_rate)
        order.payment_captured(capture.reference, order.total)
    elif capture.outcome is CaptureOutcome.DECLINED:
        log.warning("capture_declined", order_id=str(order.id), detail=capture.detail)
        order.payment_declined(authorisation_reference=authorisation.reference)
        await compensate(provider, conn, order)
    else:
        raise PaymentUnavailable(f"order {order.id}: {capture.detail}")


async def compensate(provider: PaymentProvider, conn: asyncpg.Connection, order: Order) -> None:
    """Pay back what the order owes (each due refund of the captured money, or a void of an
    uncaptured authorisation), marking each on the order as the provider confirms it. What
    fails stays due, for the sweeper to retry later."""
    if not order.compensation_due:
        return
    try:
        for refund in order.refunds_due():
            capture = order.payment.capture_reference
            if capture is None:
                raise PaymentProviderError(f"refund {refund.id} owed without a capture to refund")
            await provider.refund(capture, refund.amount, idempotency_key=f"refund-{refund.id}")
            order.refund_issued(refund.id)
        if order.void_due:
            assert order.payment.reference is not None, "only an authorisation is voided"
            await provider.void(order.payment.reference)
            order.payment_voided()
    except PaymentProviderError as exc:
        log.warning("compensation_failed", order_id=str(order.id), error=repr(exc))
        await store.defer_compensation(conn, order.id, COMPENSATION_RETRY_S)


async def void_unrecorded_authorisation(provider: PaymentProvider, order: Order) -> None:
    """An order cancelled while pending may still have been authorised (and even captured) by a
    payment step whose transaction then rolled back: give back by its key whatever the provider
    holds for it."""
    if order.payment.reference is not None:
        return  # a known authorisation is voided by compensate()
    try:
        await provider.void_attempt(order.payment_idempotency_key)
    except PaymentProviderError as exc:
        log.error("void_attempt_failed", order_id=str(order.id), error=repr(exc))


# --- periodic jobs (the worker role) -------------------------------------------------------------


async def expire_orders(app: web.Application) -> None:
    """Cancel as expired every pending order past its expires_at, a batch per transaction. Rows
    are claimed with SKIP LOCKED, so any number of workers can sweep at once."""
    while True:
        async with UnitOfWork(app[POOL], store.PRODUCER) as uow:
            order_ids, now = await store.claim_expired_orders(uow.conn, EXPIRY_BATCH)
            for order_id in order_ids:
                order = await store.load_order(uow, order_id)
                if order is not None and order.expire(now):
                    await void_unrecorded_authorisation(app[PROVIDER], order)
                    await store.save_order(uow, order)
        if order_ids:
            log.info("orders_expired", count=len(order_ids))
        if len(order_ids) < EXPIRY_BATCH:
            return


async def retry_compensations(app: web.Application) -> None:
    """Retry refunds and voids the provider refused before (or that a crash left due)."""
    async with UnitOfWork(app[POOL], store.PRODUCER) as uow:
        for order_id in await store.claim_compensations(uow.conn, COMPENSATION_BATCH):
            order = await store.load_order(uow, order_id)
            if order is not None:
                await compensate(app[PROVIDER], uow.conn, order)
                await store.save_order(uow, order)


async def forget_idempotency_keys(app: web.Application) -> None:
    deleted = await delete_expired(app[POOL], app[ORDERS_SETTINGS].idempotency_retention_s)
    if deleted:
        log.info("idempotency_keys_deleted", count=deleted)
