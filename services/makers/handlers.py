"""The makers worker's periodic jobs (makers consumes no events)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from services.makers import usecases
from shared.http import POOL
from shared.logging import get_logger

log = get_logger()


async def republish_stale_snapshots(app: web.Application) -> None:
    republished = await usecases.republish_stale_snapshots(app[POOL], datetime.now(UTC))
    if republished:
        log.info("maker_snapshots_republished", count=republished)
