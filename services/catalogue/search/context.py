"""The search index in a catalogue process that serves the API: opened (or built) in the
background while /health/ready answers 503, then followed, reconciled and measured."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import Gauge

from services.catalogue.search.replica import Replica
from services.catalogue.settings import CATALOGUE_SETTINGS
from shared.db import connect
from shared.http import METRICS_HOOKS, POOL, READY_CHECKS, ROUTES
from shared.logging import get_logger

log = get_logger()

SEARCH = web.AppKey("search", Replica)

INDEX_DOCUMENTS = Gauge("catalogue_search_index_documents", "Listings in this instance's search index")
VISIBLE_LISTINGS = Gauge("catalogue_search_visible_listings", "Visible listings in PostgreSQL")
LAG = Gauge(
    "catalogue_search_lag_seconds",
    "Seconds since this instance began its last completed round of applying every committed "
    "listing change (rounds run at least every CATALOGUE_SEARCH_POLL_S)",
)
ROUNDS = Gauge(
    "catalogue_search_rounds", "Rounds of applying changes this instance has completed since it started"
)
WATERMARK = Gauge(
    "catalogue_search_watermark", "Transaction id below which every listing change is final and applied"
)


async def search_index(app: web.Application) -> AsyncIterator[None]:
    if not any(route.path == "/api/v1/listings" for route in app[ROUTES]):
        yield  # a worker or relay process serves no search
        return
    settings = app[CATALOGUE_SETTINGS]
    replica = Replica(
        app[POOL], settings.search_index_dir / f"catalogue-{settings.port}", settings.search_keep_snapshots_s
    )
    app[SEARCH] = replica

    async def index_ready() -> None:
        if replica.index is None:
            raise RuntimeError("the search index is being built")

    async def gauges() -> None:
        if replica.index is not None:
            INDEX_DOCUMENTS.set(replica.index.documents)
            WATERMARK.set(replica.watermark)
            ROUNDS.set(replica.rounds)
            LAG.set(time.monotonic() - replica.caught_up_at)

    app[READY_CHECKS].append(("search_index", index_ready))
    app[METRICS_HOOKS].append(gauges)
    task = asyncio.create_task(_run(app, replica), name="search-index")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _run(app: web.Application, replica: Replica) -> None:
    settings = app[CATALOGUE_SETTINGS]
    while True:
        try:
            await replica.open()
            break
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("search_index_open_failed")
            await asyncio.sleep(settings.search_poll_s)
    listen = None
    try:
        listen = await connect(settings, "search")
    except Exception:
        log.exception("search_listen_failed")  # polling alone still finds every change
    follow = asyncio.create_task(
        replica.follow(listen, f"{settings.db_schema}.listing_search", settings.search_poll_s)
    )
    try:
        while True:
            await asyncio.sleep(settings.search_reconcile_s)
            try:
                documents, visible = await replica.reconcile()
                VISIBLE_LISTINGS.set(visible)
                INDEX_DOCUMENTS.set(documents)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("search_reconcile_failed")
    finally:
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow
        if listen is not None:
            with contextlib.suppress(Exception):
                await listen.close()
