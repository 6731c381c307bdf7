"""PostgreSQL: the pool a service runs on, and the unit of work.

A unit of work is one transaction. Events the change causes are collected with
`emit()` and written to the outbox in the same transaction, just before COMMIT,
so a change and its events are committed together or not at all. Writing them
last also means they are inserted after every row lock the change took, which
keeps the outbox id order equal to the commit order per aggregate.
"""

from __future__ import annotations

import contextlib
import json
from types import TracebackType
from typing import Any, TypeVar, cast

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from shared import tracing
from shared.aggregate import Aggregate
from shared.config import ServiceSettings
from shared.contracts import Envelope, Event
from shared.logging import current_context


async def _init_connection(conn: asyncpg.Connection) -> None:
    # orjson reads JSON in well under half the standard library's time (a search page's
    # listings, makers and photos are 60 KB of it). It reads an integer beyond 64 bits as a
    # float; every number stored here is well within (amounts are minor units).
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(type_name, encoder=json.dumps, decoder=orjson.loads, schema="pg_catalog")
    _trace_queries(conn)


def _trace_queries(conn: asyncpg.Connection) -> None:
    # Only when traces are exported: a query logger costs a little on every query.
    if tracing.enabled():
        conn.add_query_logger(tracing.sql_span)


def _application_name(settings: ServiceSettings, role: str) -> dict[str, str]:
    # Who holds a connection, as pg_stat_activity shows it: namespace, service and what for.
    return {"application_name": f"{settings.namespace}.{settings.service}.{role}"}


async def create_pool(settings: ServiceSettings, role: str = "app") -> asyncpg.Pool:
    """A pool connecting as the service's own least-privilege login role."""
    return await asyncpg.create_pool(
        settings.dsn(),
        min_size=min(settings.pg_pool_min, settings.pg_pool_max),
        max_size=settings.pg_pool_max,
        init=_init_connection,
        reset=_no_session_state,
        server_settings=_application_name(settings, role),
        command_timeout=30,
    )


async def _no_session_state(conn: asyncpg.Connection) -> None:
    """A pool connection's reset on release: nothing to send. asyncpg still rolls back a
    transaction left open and drops listeners; its default query (RESET ALL, UNLISTEN *, CLOSE
    ALL, advisory unlock) was one more round trip on every release, for session state a pool
    connection never holds here: advisory locks are transaction-scoped, and whatever keeps
    session state (LISTEN, a session setting) has a connection of its own (`connect`)."""


async def connect(settings: ServiceSettings, role: str) -> asyncpg.Connection:
    """A connection of its own, outside the pool, as the service's login role: for what holds
    session state (an advisory lock, LISTEN) for as long as it lives."""
    conn = await asyncpg.connect(settings.dsn(), server_settings=_application_name(settings, role))
    _trace_queries(conn)
    return conn


# What a lost or refused database connection raises (terminated by an administrator, reset,
# closed under us, no free connection slot): not the request's fault, and nothing was done by a
# statement that failed this way before the transaction began.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, ConnectionDoesNotExistError among them
    asyncpg.AdminShutdownError,  # 57P01: pg_terminate_backend
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # a protocol left mid-operation by a dropped connection
    ConnectionError,  # refused, reset
)
# Connecting fails with these as well while the database is down or out of reach (a connect
# timeout, a name that does not resolve).
CONNECT_FAILED: tuple[type[BaseException], ...] = (*CONNECTION_LOST, OSError)
_BEGIN_ATTEMPTS = 3

AggregateT = TypeVar("AggregateT", bound=Aggregate[Any])

# What a store's read runs on: a unit of work's connection, or the pool for reads outside one.
Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool


async def _release(pool: asyncpg.Pool, conn: PoolConnectionProxy) -> None:
    """Give a connection back. A broken one cannot be reset and asyncpg closes it instead; that
    is not the caller's failure, so it never replaces the caller's outcome."""
    with contextlib.suppress(*CONNECTION_LOST):
        await pool.release(conn)


def outbox_channel(schema: str) -> str:
    return f"outbox_{schema}"


class UnitOfWork:
    """`async with UnitOfWork(pool, producer) as uow:` — commit on success, roll
    back on error. `uow.conn` runs the store's SQL inside the transaction.

    It also remembers the version each aggregate had when the store loaded it (`track`), so the
    store can write the aggregate over exactly that version (`UPDATE … AND version = $loaded`)
    and refuse a concurrent change instead of overwriting it."""

    def __init__(self, pool: asyncpg.Pool, producer: str, schema: str | None = None) -> None:
        self._pool = pool
        self._producer = producer
        self._channel = outbox_channel(schema or producer)
        self._events: list[Envelope] = []
        # id(aggregate) -> (the aggregate, kept alive so its id is not reused; its loaded version)
        self._loaded: dict[int, tuple[Aggregate[Any], int]] = {}
        self._pooled: PoolConnectionProxy
        self.conn: asyncpg.Connection

    def track(self, aggregate: AggregateT) -> AggregateT:
        """Remember the version `aggregate` was loaded at; the store's loads call this."""
        self._loaded[id(aggregate)] = (aggregate, aggregate.version)
        return aggregate

    def loaded_version(self, aggregate: Aggregate[Any]) -> int | None:
        """The version `aggregate` was loaded at, or None for one this unit of work did not load
        (a new aggregate, to be inserted)."""
        tracked = self._loaded.get(id(aggregate))
        return None if tracked is None else tracked[1]

    def mark_saved(self, aggregate: Aggregate[Any]) -> None:
        """The store wrote `aggregate`: its current version is now the one to write over."""
        self.track(aggregate)

    def emit(self, event: Event, aggregate_id: object, aggregate_version: int = 0) -> Envelope:
        context = current_context()
        envelope = Envelope.wrap(
            event,
            producer=self._producer,
            aggregate_id=str(aggregate_id),
            aggregate_version=aggregate_version,
            correlation_id=_str_or_none(context.get("correlation_id")),
            causation_id=_str_or_none(context.get("event_id")),
            traceparent=tracing.current_traceparent(),
        )
        self._events.append(envelope)
        return envelope

    async def __aenter__(self) -> UnitOfWork:
        for attempt in range(1, _BEGIN_ATTEMPTS + 1):
            self._pooled = await self._pool.acquire()
            # The pool hands out a proxy that forwards every Connection method to the connection
            # it holds (asyncpg generates them); the stubs declare it as an unrelated class, so
            # the stores, which take a Connection, are given it as one.
            self.conn = cast(asyncpg.Connection, self._pooled)
            self._tx = self.conn.transaction()
            try:
                await self._tx.start()
                return self
            except BaseException as exc:
                await _release(self._pool, self._pooled)
                # A pooled connection that died while idle (the server restarted, an operator
                # terminated it) fails at BEGIN, before anything ran: take another.
                if attempt == _BEGIN_ATTEMPTS or not isinstance(exc, CONNECTION_LOST):
                    raise
        raise AssertionError("unreachable")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self._write_outbox()
                await self._tx.commit()
            else:
                await self._tx.rollback()
        finally:
            self._events.clear()
            self._loaded.clear()
            await _release(self._pool, self._pooled)

    async def _write_outbox(self) -> None:
        await write_outbox(self.conn, self._channel, self._events)


async def write_outbox(conn: asyncpg.Connection, channel: str, envelopes: list[Envelope]) -> None:
    """Add events to the outbox in the caller's transaction, for the relay. A unit of work does
    this at commit; code given a bare connection (the command line's accounts) calls it inside
    its own transaction. `channel` is `outbox_channel(schema)`."""
    if not envelopes:
        return
    # The envelope goes as JSON text, so a connection without the pool's jsonb codec takes it too.
    await conn.executemany(
        "INSERT INTO outbox (event_id, routing_key, aggregate_id, envelope) "
        "VALUES ($1, $2, $3, $4::text::jsonb)",
        [(e.event_id, e.routing_key, e.aggregate_id, e.model_dump_json()) for e in envelopes],
    )
    # Delivered at commit: wakes the relay without waiting for its poll.
    await conn.execute("SELECT pg_notify($1, '')", channel)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


async def keep_newest(
    db: Executor,
    table: str,
    row: dict[str, Any],
    *,
    key: tuple[str, ...],
    version: str = "version",
    overrides: dict[str, str] | None = None,
) -> bool:
    """Keep `row` in the read model `table` unless a row with the same `key` and a version at
    least as high is kept already; whether it was kept. The guard is in the statement, not only
    in the caller: two events of a subject not seen yet may be handled at once (there is no row
    to lock), and the older must not overwrite the newer whichever commits last, nor may a
    repeated one change anything. `overrides` names a column's value on update as SQL when it is
    not simply the new row's (`now()`, or keeping what is there when the event does not say)."""
    columns = list(row)
    updates = {column: f"EXCLUDED.{column}" for column in columns if column not in key}
    updates.update(overrides or {})
    saved = await db.fetchval(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(f'${n}' for n in range(1, len(columns) + 1))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{column} = {value}" for column, value in updates.items())
        + f" WHERE {table}.{version} < EXCLUDED.{version} RETURNING true",
        *row.values(),
    )
    return bool(saved)
