"""The catalogue's event consumers and its reservation sweeper: each translates a message into
one use case's typed inputs (see usecases/).

makers.maker.*              keep the makers read model (the highest maker_version wins); when a
                            maker is suspended or reinstated, or their record breaks (or keeps
                            again) a rule of a public listing, hide or show those listings
                            (catalogue.listing.hidden / .shown, one per listing)
media.image.*               keep the images read model (the highest image_version wins; a customer's
                            image, with no maker, is ignored); listings
                            read their photos' images from it, so nothing else is rewritten
orders.order.placed         reserve every line or none: catalogue.stock.reserved or
                            catalogue.stock.reservation_failed
orders.order.confirmed      the held units are sold (a listing left with none is sold out)
orders.order.cancelled      held units go back on sale; once sold, they go back only when
                            `release_stock` says the sale is undone. A cancel for an order not
                            seen yet leaves a tombstone, so the order reserves nothing when it
                            arrives.
orders.maker_order.declined that maker's units go back on sale
reviews.ratings.changed     keep the listing's and the maker's rating (the highest version of
                            each wins); the listing's goes to its search row too
sweeper                     held reservations past `expires_at` go back on sale
re-check                    public listings held again to the wording and currency rules

The inbox already drops redelivered messages; every handler is idempotent by state as well
(a reservation moves each unit once), and all messages of one order are serialised by the
order's lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from services.catalogue import usecases
from services.catalogue.domain import ImageStatus, MediaImage, OrderLine, Rating, RatingSummary
from services.catalogue.settings import CATALOGUE_SETTINGS
from services.catalogue.store import MakerRecord
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.media import MEDIA_EVENTS, ImageEvent, ImageFailed, ImageProcessed
from shared.contracts.orders import (
    MakerOrderDeclined,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
)
from shared.contracts.reviews import RatingsChanged
from shared.contracts.reviews import RatingSummary as SummaryData
from shared.db import UnitOfWork
from shared.http import POOL
from shared.logging import get_logger

log = get_logger()


def _now() -> datetime:
    return datetime.now(UTC)


async def on_maker_changed(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
    now = _now()
    maker = MakerRecord(
        id=event.maker_id,
        user_id=event.user_id,
        version=event.maker_version,
        status=event.status,
        handle=event.handle,
        display_name=event.display_name,
        sourcing_claims=[claim.model_dump(mode="json") for claim in event.sourcing_claims],
        hallmarking=event.hallmarking.model_dump() if event.hallmarking else None,
        works_precious_metals=event.works_precious_metals,
        natural_diamonds=event.natural_diamonds,
        accepts_commissions=event.accepts_commissions,
        updated_at=now,
        system_of_warranties_attested=event.system_of_warranties_attested,
    )
    await usecases.apply_maker_snapshot(uow, maker, now)


async def on_image_changed(uow: UnitOfWork, event: ImageEvent, envelope: Envelope) -> None:
    if event.maker_id is None:
        return  # a customer's photo (for a review): never a listing's
    image = MediaImage(event.image_id, event.maker_id, event.image_version, ImageStatus.PROCESSING)
    if isinstance(event, ImageProcessed):
        image = replace(
            image,
            status=ImageStatus.READY,
            width=event.width,
            height=event.height,
            placeholder=event.placeholder,
            urls=event.urls,
        )
    elif isinstance(event, ImageFailed):
        image = replace(image, status=ImageStatus.FAILED, failure_code=event.failure_code)
    await usecases.apply_image_state(uow, image, _now())


async def on_order_placed(uow: UnitOfWork, event: OrderPlaced, envelope: Envelope, *, ttl: timedelta) -> None:
    now = _now()
    lines = [
        OrderLine(
            line.line_id, line.listing_id, line.quantity, line.unit_price.amount, line.unit_price.currency
        )
        for line in event.lines
    ]
    await usecases.reserve_for_order(uow, event.order_id, lines, now=now, expires_at=now + ttl)


async def on_order_confirmed(uow: UnitOfWork, event: OrderConfirmed, envelope: Envelope) -> None:
    await usecases.commit_for_order(uow, event.order_id, has_stock_lines=bool(event.lines), now=_now())


async def on_order_cancelled(uow: UnitOfWork, event: OrderCancelled, envelope: Envelope) -> None:
    await usecases.cancel_for_order(
        uow,
        event.order_id,
        release_stock=event.release_stock,
        release=[(line.listing_id, line.quantity) for line in event.release_lines],
        now=_now(),
    )


async def on_maker_order_declined(uow: UnitOfWork, event: MakerOrderDeclined, envelope: Envelope) -> None:
    await usecases.decline_for_maker(
        uow,
        event.order_id,
        event.maker_id,
        release=[(line.listing_id, line.quantity) for line in event.release_lines],
        now=_now(),
    )


def _summary(data: SummaryData) -> RatingSummary:
    return RatingSummary(
        Rating(data.count, data.total),
        {str(stars): count for stars, count in data.histogram.items()},
        data.version,
    )


async def on_ratings_changed(uow: UnitOfWork, event: RatingsChanged, envelope: Envelope) -> None:
    await usecases.apply_ratings(
        uow, event.listing_id, event.maker_id, _summary(event.listing), _summary(event.maker), _now()
    )


def for_app(app: web.Application) -> dict[type[Event], Handler]:
    """The handlers of a catalogue process. Settings are read when a message is handled: the
    topology is declared from an app that has none."""

    async def placed(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        ttl = timedelta(seconds=app[CATALOGUE_SETTINGS].reservation_ttl_s)
        await on_order_placed(uow, event, envelope, ttl=ttl)

    return {
        **dict.fromkeys(MAKER_EVENTS, on_maker_changed),
        **dict.fromkeys(MEDIA_EVENTS, on_image_changed),
        OrderPlaced: placed,
        OrderConfirmed: on_order_confirmed,
        OrderCancelled: on_order_cancelled,
        MakerOrderDeclined: on_maker_order_declined,
        RatingsChanged: on_ratings_changed,
    }


async def sweep_expired_reservations(app: web.Application) -> None:
    released = await usecases.release_expired(app[POOL], _now())
    if released:
        log.info("reservations_expired", count=released)


async def recheck_public_listings(app: web.Application) -> None:
    """Public listings held again to the rules that change after they went public (wording, the
    marketplace's currencies): when the worker starts (after a release), then daily."""
    changed = await usecases.recheck_public_listings(app[POOL], app[CATALOGUE_SETTINGS].currencies, _now())
    if changed:
        log.info("listings_rechecked", changed=changed)


async def refresh_expired_claims(app: web.Application) -> None:
    """The daily claims refresh, run every ten minutes: nothing to do (one index lookup) until a claim's
    expiry day has passed, then acted on within ten minutes of midnight (UTC)."""
    refreshed = await usecases.refresh_expired_claims(app[POOL], _now().date())
    if refreshed:
        log.info("claims_refreshed", search_rows=refreshed)
