"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping every message it
accepts, so a test reads the email a person would get (subject, text, HTML, links).

    from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

    start("notifications", **smtp_server.env)            # MARKET_SMTP_HOST / MARKET_SMTP_PORT
    [mail] = await smtp_server.wait_for("ada@example.com")
    assert mail.subject == "..." and any("/verify-email?token=" in link for link in mail.links)

    smtp_server.stop()    # an outage: connections to the port are refused
    smtp_server.start()   # back on the same port

The server runs in aiosmtpd's Controller thread, so it keeps answering while a test blocks
(a subprocess, a browser); each accepted message wakes the waiting tests on their own loop.
Waiting is on that wake-up, never on a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ops.mailbox import Mail
from tests.support.harness import free_port


class SmtpCatcher:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives (as `ops.mailbox.Mail`)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._received: list[Mail] = []
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._controller: Controller | None = None

    @property
    def env(self) -> dict[str, str]:
        """The settings that point a service at this server."""
        return {"MARKET_SMTP_HOST": self.host, "MARKET_SMTP_PORT": str(self.port)}

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpCatcher:
        """Listen (again) on the same port; what was received before is kept."""
        if self._controller is None:
            controller = Controller(self, hostname=self.host, port=self.port, enable_SMTPUTF8=True)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: until `start`, a connection to the port is refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # aiosmtpd calls this in its own thread, once per message accepted.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        mail = Mail.parse(raw, list(envelope.rcpt_tos), str(envelope.mail_from))
        with self._lock:
            self._received.append(mail)
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Mail]:
        """Everything received so far, oldest first."""
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Mail]:
        """The messages whose envelope names this recipient (case-insensitive), oldest first."""
        address = address.lower()
        return [mail for mail in self.messages if address in mail.to]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    async def until(
        self, check: Callable[[list[Mail]], Any], timeout_s: float = 20, message: str = ""
    ) -> Any:
        """Wait until `check(messages)` is truthy (re-checked on every message received); its value."""
        loop = asyncio.get_running_loop()
        waiter = (loop, asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                waiter[1].clear()
                found = check(self.messages)
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"mail not received within {timeout_s}s: {message} "
                        f"(have: {[(m.to, m.subject) for m in self.messages]})"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter[1].wait(), remaining)
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    async def wait_for(
        self, to: str, count: int = 1, *, subject: str | None = None, timeout_s: float = 20
    ) -> list[Mail]:
        """Wait until `to` has at least `count` messages (whose subject contains `subject`, if
        given); those messages, oldest first. To prove no further copy came, wait for a later
        message (a barrier) and then compare counts."""

        def matching(messages: list[Mail]) -> list[Mail]:
            mine = [m for m in messages if to.lower() in m.to and (subject is None or subject in m.subject)]
            return mine if len(mine) >= count else []

        return await self.until(matching, timeout_s, f"{count} message(s) to {to} (subject ~ {subject!r})")


@pytest.fixture(scope="module")
async def smtp_server() -> AsyncIterator[SmtpCatcher]:
    """A running SmtpCatcher for the test module (module scope, like `service_processes`, so the
    services a module starts can be pointed at it once). Use fresh addresses per test."""
    catcher = SmtpCatcher().start()
    yield catcher
    catcher.stop()
