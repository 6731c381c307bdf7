"""The ceiling of `search.varied`: a bare aiohttp handler answering the search API's query string
from a tantivy index of the same listings, built with the engine's own schema and documents
(services/catalogue/search/engine.py), with the same JSON as the catalogue (the same hydration
and rendering functions). Nothing else: no middleware, no auth, no change follower, no metrics.
What the catalogue's search costs beyond this is what the service around the engine costs.

    BARE_PORT=8098 python -m bench.bare_tantivy DSN INDEX_DIR

DSN is the catalogue's (its runtime role); the index is built into INDEX_DIR (emptied first)
from the visible search rows before the server reports ready.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import tantivy
from aiohttp import web

from services.catalogue import store
from services.catalogue.schemas import SearchQuery, search_results_json
from services.catalogue.search.engine import SearchIndex, build_schema, document
from services.catalogue.search.query import Filters, Sort
from shared.db import _init_connection

BATCH = 5000
POOL = web.AppKey("pool", asyncpg.Pool)
INDEX = web.AppKey("index", SearchIndex)


async def build(dsn: str, directory: Path) -> SearchIndex:
    """Index every visible search row, streamed from PostgreSQL in batches, in one commit."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    index = tantivy.Index(build_schema(), path=str(directory))
    writer = index.writer()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(readonly=True):
            cursor = conn.cursor("SELECT * FROM listing_search WHERE visible")
            async for row in cursor:
                writer.add_document(document(row))
    finally:
        await conn.close()
    writer.commit()
    writer.wait_merging_threads()
    return SearchIndex(index)


async def search(request: web.Request) -> web.Response:
    query = SearchQuery.model_validate(dict(request.query))
    page = request.app[INDEX].search(
        Filters(**query.model_dump(exclude={"limit", "cursor", "sort"})),
        Sort(query.sort) if query.sort else None,
        query.cursor,
        query.limit,
    )
    found = await store.listings_with_makers(request.app[POOL], page.listing_ids)
    body = search_results_json(page, found, datetime.now(UTC).date())
    return web.Response(body=body, content_type="application/json")


async def _ready(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main(argv: list[str]) -> None:
    dsn, directory = argv
    app = web.Application()

    async def context(app: web.Application) -> AsyncIterator[None]:
        app[INDEX] = await build(dsn, Path(directory))
        app[POOL] = await asyncpg.create_pool(dsn, min_size=2, max_size=10, init=_init_connection)
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(context)
    app.router.add_get("/api/v1/listings", search)
    app.router.add_get("/health/ready", _ready)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
