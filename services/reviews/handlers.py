"""The reviews worker's event consumers: each translates a message into one use case.

makers.maker.*                  which user each maker is (who may reply; whose photos)
orders.order.confirmed          each maker order's customer and maker
orders.maker_order.delivered    when it arrived and which listings it held: who may review what
media.image.*                   photos a review may show, and who uploaded them (a customer's own)

Every read model keeps what the newest event says (versions for makers and images; delivery
fills in a purchase whichever of its events comes first), so order and repetition do no harm.
"""

from __future__ import annotations

from aiohttp import web

from services.reviews import usecases
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.media import ImageFailed, ImageProcessed, ImageUploaded
from shared.contracts.orders import MakerOrderDelivered, OrderConfirmed
from shared.db import UnitOfWork


async def on_maker_changed(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
    await usecases.apply_maker(uow, event.maker_id, event.user_id, event.maker_version)


async def on_order_confirmed(uow: UnitOfWork, event: OrderConfirmed, envelope: Envelope) -> None:
    await usecases.apply_confirmed(
        uow, event.customer_id, [(part.maker_order_id, part.maker_id) for part in event.maker_orders]
    )


async def on_delivered(uow: UnitOfWork, event: MakerOrderDelivered, envelope: Envelope) -> None:
    await usecases.apply_delivered(
        uow,
        maker_order_id=event.maker_order_id,
        customer_id=event.customer_id,
        maker_id=event.maker_id,
        listing_ids=list(event.listing_ids),
        delivered_at=event.at,
    )


async def on_image_uploaded(uow: UnitOfWork, event: ImageUploaded, envelope: Envelope) -> None:
    await usecases.apply_image(
        uow,
        image_id=event.image_id,
        maker_id=event.maker_id,
        owner_user_id=event.owner_user_id,
        status="processing",
        version=event.image_version,
    )


async def on_image_processed(uow: UnitOfWork, event: ImageProcessed, envelope: Envelope) -> None:
    await usecases.apply_image(
        uow,
        image_id=event.image_id,
        maker_id=event.maker_id,
        owner_user_id=event.owner_user_id,
        status="ready",
        version=event.image_version,
        urls=dict(event.urls),
        placeholder=event.placeholder,
    )


async def on_image_failed(uow: UnitOfWork, event: ImageFailed, envelope: Envelope) -> None:
    await usecases.apply_image(
        uow,
        image_id=event.image_id,
        maker_id=event.maker_id,
        owner_user_id=event.owner_user_id,
        status="failed",
        version=event.image_version,
    )


def handlers(app: web.Application) -> dict[type[Event], Handler]:
    return {
        **dict.fromkeys(MAKER_EVENTS, on_maker_changed),
        OrderConfirmed: on_order_confirmed,
        MakerOrderDelivered: on_delivered,
        ImageUploaded: on_image_uploaded,
        ImageProcessed: on_image_processed,
        ImageFailed: on_image_failed,
    }
