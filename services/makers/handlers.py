"""The makers worker's event consumers and periodic jobs.

reviews.ratings.changed     keep the maker's rating (its `maker` summary; the highest version
                            wins, a repeated or late one changes nothing)
republish                   maker snapshots left stale are published again

The inbox already drops redelivered messages; keeping the highest version makes the handler
idempotent by state as well.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from services.makers import usecases
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.reviews import Rating, RatingsChanged
from shared.db import UnitOfWork
from shared.http import POOL
from shared.logging import get_logger

log = get_logger()


async def on_ratings_changed(uow: UnitOfWork, event: RatingsChanged, envelope: Envelope) -> None:
    summary = event.maker
    await usecases.apply_rating(
        uow,
        event.maker_id,
        Rating(summary.count, summary.total),
        {str(stars): count for stars, count in summary.histogram.items()},
        summary.version,
        datetime.now(UTC),
    )


def for_app(app: web.Application) -> dict[type[Event], Handler]:
    """The handlers of a makers process."""
    return {RatingsChanged: on_ratings_changed}


async def republish_stale_snapshots(app: web.Application) -> None:
    republished = await usecases.republish_stale_snapshots(app[POOL], datetime.now(UTC))
    if republished:
        log.info("maker_snapshots_republished", count=republished)
