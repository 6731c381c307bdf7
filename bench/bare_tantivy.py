"""The ceiling of `search.varied`: a bare aiohttp handler answering the search API's query string
from a tantivy index of the same listings, built by the engine's own code (`search.Replica`, as
an instance builds its index), with the same JSON as the catalogue (the same hydration and
rendering functions). Nothing else: no middleware, no auth, no change follower, no metrics.
What the catalogue's search costs beyond this is what the service around the engine costs.

It is also the ceiling of `search.get`: `GET /api/v1/listings/{id}` read by the catalogue's own
store function and rendered by its own `listing_json`, as the public sees a visible listing.

    BARE_PORT=8098 python -m bench.bare_tantivy DSN INDEX_DIR

DSN is the catalogue's (its runtime role); the index is built into INDEX_DIR (emptied first)
from PostgreSQL before the server reports ready.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
from aiohttp import web

from services.catalogue import store
from services.catalogue.schemas import SearchQuery, listing_json, search_results_json
from services.catalogue.search import Filters, Replica, SearchIndex, Sort
from shared.db import _init_connection

POOL = web.AppKey("pool", asyncpg.Pool)
INDEX = web.AppKey("index", SearchIndex)


async def search(request: web.Request) -> web.Response:
    query = SearchQuery.model_validate(dict(request.query))
    # As the catalogue does: the index releases the interpreter while it searches.
    page = await asyncio.to_thread(
        request.app[INDEX].search,
        Filters(**query.model_dump(exclude={"limit", "cursor", "sort"})),
        Sort(query.sort) if query.sort else None,
        query.cursor,
        query.limit,
    )
    found = await store.listings_with_makers(request.app[POOL], page.listing_ids)
    body = search_results_json(page, found, datetime.now(UTC).date())
    return web.Response(body=body, content_type="application/json")


async def listing(request: web.Request) -> web.Response:
    found = await store.get_listing(request.app[POOL], UUID(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    body = listing_json(*found, datetime.now(UTC).date(), full=False)
    return web.Response(body=body, content_type="application/json")


async def _ready(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main(argv: list[str]) -> None:
    dsn, directory = argv
    app = web.Application()

    async def context(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await asyncpg.create_pool(dsn, min_size=2, max_size=10, init=_init_connection)
        shutil.rmtree(directory, ignore_errors=True)
        replica = Replica(app[POOL], Path(directory))
        await replica.open()  # builds the index from PostgreSQL, as an instance does
        assert replica.index is not None
        app[INDEX] = replica.index
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(context)
    app.router.add_get("/api/v1/listings", search)
    app.router.add_get("/api/v1/listings/{id}", listing)
    app.router.add_get("/health/ready", _ready)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
