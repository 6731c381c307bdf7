"""Waiting for a row to change, across processes: long polling without polling.

A writer calls `notify_change(conn, channel, key)` in the transaction that changes the row;
PostgreSQL delivers the notification at commit, to every process listening on the channel, and
never for a transaction that rolled back. A request that wants to wait registers first, then
reads, then waits, so a change committed between its read and its wait still wakes it:

    async with feed.watching(order_id, for_s=10) as changed:
        order = await load(...)
        while still_interesting(order) and await changed.wait():
            order = await load(...)

Each process that waits holds one connection, opened at the first wait, listening on the
channel. While that connection is down nothing can be known to have changed, so every waiter
is woken to read again (and reads again after it is back), never left to sleep on a change it
could not hear of.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator

import asyncpg
import structlog

from shared.config import ServiceSettings
from shared.db import CONNECT_FAILED, CONNECTION_LOST, connect

log = structlog.get_logger()

_RECONNECT_S = 1.0


def change_channel(schema: str, what: str) -> str:
    return f"{schema}_{what}_changed"


async def notify_change(conn: asyncpg.Connection, channel: str, key: object) -> None:
    """Within the writer's transaction: delivered when (and only if) it commits."""
    await conn.execute("SELECT pg_notify($1, $2)", channel, str(key))


class Changed:
    """A waiter's view of one key, for a limited time."""

    def __init__(self, until: float) -> None:
        self._event = asyncio.Event()
        self._until = until  # event loop time

    def set(self) -> None:
        self._event.set()

    async def wait(self) -> bool:
        """True when the key changed (or may have) before the watch's time ran out."""
        remaining = self._until - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            async with asyncio.timeout(remaining):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True


class ChangeFeed:
    """One LISTEN connection per process on `channel`, fanning notifications out to waiters."""

    def __init__(self, settings: ServiceSettings, channel: str) -> None:
        self._settings = settings
        self._channel = channel
        self._waiters: dict[str, set[Changed]] = {}
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def watching(
        self, key: object, for_s: float, ready_within_s: float = 2.0
    ) -> AsyncIterator[Changed]:
        """Registered for `key` and listening, for `for_s` seconds from now; a CONNECTION_LOST
        error if the feed cannot listen within `ready_within_s`."""
        if self._task is None:
            # Started by the first waiting request, but not part of it: a context of its own,
            # so its log lines do not carry that request's ids.
            self._task = asyncio.create_task(
                self._listen(), name=f"change-feed:{self._channel}", context=contextvars.Context()
            )
        changed = Changed(until=asyncio.get_running_loop().time() + for_s)
        waiters = self._waiters.setdefault(str(key), set())
        waiters.add(changed)
        try:
            try:
                async with asyncio.timeout(ready_within_s):
                    await self._listening.wait()
            except TimeoutError:
                raise ConnectionRefusedError("the change feed is not listening") from None
            yield changed
        finally:
            waiters.discard(changed)
            if not waiters:
                self._waiters.pop(str(key), None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        # asyncpg passes a NOTIFY's payload as the str it is (typed `object` by its stubs).
        for changed in self._waiters.get(str(payload), ()):
            changed.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for changed in waiters:
                changed.set()

    async def _listen(self) -> None:
        while True:
            try:
                conn = await connect(self._settings, "changes")
            except CONNECT_FAILED as exc:
                log.warning("change_feed_unavailable", channel=self._channel, error=repr(exc)[:200])
                await asyncio.sleep(_RECONNECT_S)
                continue
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            try:
                await conn.add_listener(self._channel, self._on_notify)
                self._listening.set()
                self._wake_all()  # changes made while nobody listened
                await lost.wait()
            except CONNECTION_LOST:
                pass
            finally:
                self._listening.clear()
                self._wake_all()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=1)
            log.warning("change_feed_lost", channel=self._channel)
            await asyncio.sleep(_RECONNECT_S)
