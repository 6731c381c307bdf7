"""The baseline of the search benchmark: a bare aiohttp + asyncpg server running the same SQL
the catalogue runs for a request, and nothing else (no validation, no auth, no domain objects,
no middleware): the SQL and HTTP floor a search service could reach on this machine.

    BARE_PORT=8099 python -m bench.bare_search PLAN.pickle DSN

PLAN is what `record_plan` wrote: for each endpoint (`/search`, `/get`), the statements the
catalogue's own search and store functions executed for the benchmark's request, with their
arguments, captured by an asyncpg query logger. Each request replays them in order on one
pooled connection (BEGIN/COMMIT included) and answers the last result set as JSON.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiohttp import web

Plan = dict[str, list[tuple[str, tuple[Any, ...]]]]


class _OneConnection:
    """Stands in for a pool: every acquire() yields the one (logged) connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


async def record_plan(dsn: str, search_call: Any, get_call: Any) -> Plan:
    """Run the catalogue's functions for one search and one GET on a logged connection.
    `search_call(pool_like, conn)` and `get_call(conn)` are coroutines doing what the API
    handlers do with the database."""
    from shared.db import _init_connection

    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    plan: Plan = {}
    try:
        for name, call in (
            ("/search", lambda: search_call(_OneConnection(conn), conn)),
            ("/get", lambda: get_call(conn)),
        ):
            # Once unrecorded: asyncpg introspects types on a connection's first use of them,
            # which the service's long-lived pooled connections do once, not per request.
            await call()
            statements: list[tuple[str, tuple[Any, ...]]] = []

            def log(query: Any, into: list = statements) -> None:
                into.append((query.query, tuple(query.args or ())))

            conn.add_query_logger(log)
            try:
                await call()
            finally:
                conn.remove_query_logger(log)
            plan[name] = statements
    finally:
        await conn.close()
    return plan


def _handler(statements: list[tuple[str, tuple[Any, ...]]]) -> Any:
    async def handle(request: web.Request) -> web.Response:
        pool: asyncpg.Pool = request.app["pool"]
        result: list[asyncpg.Record] = []
        async with pool.acquire() as conn:
            for query, args in statements:
                if args or query.lstrip().upper().startswith(("SELECT", "WITH")):
                    result = await conn.fetch(query, *args)
                else:
                    await conn.execute(query)
        body = json.dumps([dict(r) for r in result], default=str)
        return web.Response(body=body.encode(), content_type="application/json")

    return handle


async def _ready(request: web.Request) -> web.Response:
    await request.app["pool"].fetchval("SELECT 1")
    return web.Response(text="ok")


def main(argv: list[str]) -> None:
    from shared.db import _init_connection

    plan_path, dsn = argv
    with open(plan_path, "rb") as f:
        plan: Plan = pickle.load(f)
    app = web.Application()

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        app["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=10, init=_init_connection)
        yield
        await app["pool"].close()

    app.cleanup_ctx.append(pool_ctx)
    for path, statements in plan.items():
        app.router.add_get(path, _handler(statements))
    app.router.add_get("/health/ready", _ready)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
