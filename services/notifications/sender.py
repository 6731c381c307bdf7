"""The sender: the worker's loop that turns due deliveries into sent emails.

It claims a batch of due deliveries (`store.claim_due`: `FOR UPDATE SKIP LOCKED` and a lease,
so any number of workers share the work), renders each, sends it over one of its SMTP
connections (several at once, each kept open between messages), and marks each sent the moment
the server accepted it. A failure of the
SMTP server (refused, dropped, an error answer), or a recipient whose address is not known yet,
leaves the delivery pending with a growing wait, parked after the last attempt; a template error,
or the server refusing the address for good (5xx), parks that delivery at once with its reason.
Neither stops the others.

At least once, narrowed: between the server's acceptance and the row marked sent, a crash leaves
the row claimed; when its lease lapses it is sent again, with the same Message-ID (made from the
delivery's id), so the copy is visible and mail clients fold it. Marking each message as soon as
it is accepted, not the batch at the end, keeps that window to one message per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import asyncpg
from aiohttp import web
from prometheus_client import Counter, Gauge

from services.notifications import store
from services.notifications.domain import unsubscribe_token
from services.notifications.render import Renderer, TemplateError, compose
from services.notifications.settings import NOTIFICATIONS_SETTINGS, NotificationsSettings
from shared.consumer import fault_point
from shared.db import connect
from shared.http import METRICS_HOOKS, POOL, SETTINGS
from shared.logging import get_logger
from shared.watch import ChangeFeed

log = get_logger()

EMAILS = Counter("notifications_emails_total", "Email attempts by kind and outcome", ["kind", "outcome"])
DELIVERIES = Gauge("notifications_deliveries", "Emails not sent, by status (pending, parked)", ["status"])


class Undeliverable(Exception):
    """This email can never be sent as it stands (its template fails): parked at once."""


class NoAddress(Exception):
    """Nobody's address is known for the recipient yet (their account's event is late): tried
    again like an SMTP failure."""


def unsubscribe_url(
    settings: NotificationsSettings, renderer: Renderer, claimed: store.Claimed
) -> str | None:
    category = claimed.kind.category
    if not category.optional:
        return None
    token = unsubscribe_token(settings.secret.get_secret_value(), claimed.recipient, category)
    return renderer.url(f"/api/v1/notifications/unsubscribe?token={token}")


def message_for(settings: NotificationsSettings, renderer: Renderer, claimed: store.Claimed) -> EmailMessage:
    if claimed.email is None:
        raise NoAddress(f"no address known for user {claimed.recipient}")
    link = unsubscribe_url(settings, renderer, claimed)
    context = {"name": claimed.name or "there", **claimed.context}
    try:
        rendered = renderer.render(claimed.kind, context, link)
    except (TemplateError, LookupError, ValueError, TypeError) as exc:
        raise Undeliverable(f"template {claimed.kind.value}: {exc!r}") from exc
    return compose(
        rendered,
        sender=settings.mail_from,
        to=claimed.email,
        delivery_id=str(claimed.id),
        kind=claimed.kind,
        unsubscribe_url=link,
    )


class SmtpConnection:
    """One SMTP connection, opened when first needed and kept open between messages."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        try:
            smtp = await self._connected()
            await smtp.send_message(message)
        except BaseException:
            self.drop()  # a failed exchange leaves the session in no known state
            raise

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        settings = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            start_tls=settings.smtp_starttls,
            use_tls=False,
        )
        await smtp.connect()
        if settings.smtp_username:
            await smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        self._smtp = smtp
        return smtp

    def drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.close()
            self._smtp = None

    async def close(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            with contextlib.suppress(Exception):
                await self._smtp.quit()
        self.drop()


class Sender:
    def __init__(self, settings: NotificationsSettings, pool: asyncpg.Pool, feed: ChangeFeed) -> None:
        self.settings = settings
        self.pool = pool
        self.feed = feed
        self.renderer = Renderer(settings.public_url)
        # Messages of a batch go out over several connections at once: the SMTP server's
        # answer, not this process, is what an email waits on.
        self.connections = [SmtpConnection(settings) for _ in range(settings.smtp_connections)]
        self._marks: asyncpg.Connection | None = None
        self._marks_lock = asyncio.Lock()

    async def step(self) -> None:
        """Send a batch of due emails; when there was none, wait until a delivery is created
        (NOTIFY) or the poll interval passes. The worker runs this over and over."""
        try:
            # Watching before claiming: a delivery committed meanwhile still wakes the wait.
            async with self.feed.watching(store.DUE, for_s=self.settings.send_poll_s) as due:
                if await self.send_due() == 0:
                    await due.wait()
        except Exception:
            # The database is out of reach, say: wait a poll before trying again, not a spin.
            log.exception("sender_failed")
            await asyncio.sleep(self.settings.send_poll_s)

    async def send_due(self) -> int:
        """Claim and send one batch; how many were claimed."""
        lease_s = self.settings.claim_lease_s
        claimed = await store.claim_due(self.pool, self.settings.send_batch, timedelta(seconds=lease_s))
        # Past this, another worker may take what is left of the batch: stop before, and give
        # the rest back (a hung SMTP server makes every attempt last its whole timeout).
        stop_at = asyncio.get_running_loop().time() + lease_s / 2
        queue = iter(claimed)
        left: list[store.Claimed] = []

        async def lane(connection: SmtpConnection) -> None:
            for delivery in queue:  # shared: each lane takes the next delivery not yet taken
                if asyncio.get_running_loop().time() > stop_at:
                    left.append(delivery)
                    continue
                await self._send_one(connection, delivery)

        await asyncio.gather(*(lane(connection) for connection in self.connections))
        if left:
            await store.release(self.pool, [delivery.id for delivery in left])
        return len(claimed)

    async def _send_one(self, connection: SmtpConnection, delivery: store.Claimed) -> None:
        try:
            message = message_for(self.settings, self.renderer, delivery)
        except Undeliverable as exc:
            await self._park(delivery, str(exc))
            return
        except NoAddress as exc:
            await self._failed(delivery, exc)
            return
        try:
            await connection.send(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(refusal.code >= 500 for refusal in exc.recipients):
                # A permanent refusal of the address (550 no such mailbox): asking again and
                # again would only be a mail server's reason to distrust us.
                await self._park(delivery, f"address refused: {exc.recipients[0].message}")
            else:
                await self._failed(delivery, exc)
            return
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._failed(delivery, exc)
            return
        fault_point(self.settings, "after_send_before_mark")  # the window the docstring names
        await self._mark_sent(delivery)
        EMAILS.labels(delivery.kind.value, "sent").inc()

    async def _mark_sent(self, delivery: store.Claimed) -> None:
        """Each email marked the moment the server accepted it, on a connection of the sender's
        own that does not wait for the WAL to reach the disk (`synchronous_commit = off`): only
        a crash of PostgreSQL itself (not of this process) in the next fraction of a second could
        lose a mark, and then that email goes again with its Message-ID. Waiting for the disk
        would be most of what sending an email costs."""
        async with self._marks_lock:
            if self._marks is None or self._marks.is_closed():
                self._marks = await connect(self.settings, "sender")
                await self._marks.execute("SET synchronous_commit = off")
            await store.mark_sent(self._marks, delivery.id)

    async def _park(self, delivery: store.Claimed, reason: str) -> None:
        """Parked at once: no later attempt could succeed as things stand."""
        log.error("email_parked", delivery_id=str(delivery.id), reason=reason[:500])
        await store.mark_failed(self.pool, delivery.id, reason, None)
        EMAILS.labels(delivery.kind.value, "parked").inc()

    async def _failed(self, delivery: store.Claimed, exc: Exception) -> None:
        """An attempt that may succeed later: wait longer each time, park after the last."""
        backoff = self.settings.backoff
        retry_in = None if backoff.exhausted(delivery.attempts) else backoff.delay(delivery.attempts)
        log.warning(
            "email_failed",
            delivery_id=str(delivery.id),
            attempts=delivery.attempts,
            error=repr(exc)[:300],
            parked=retry_in is None,
        )
        await store.mark_failed(self.pool, delivery.id, f"attempt {delivery.attempts}: {exc!r}", retry_in)
        EMAILS.labels(delivery.kind.value, "parked" if retry_in is None else "failed").inc()

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()
        if self._marks is not None:
            await self._marks.close()


SENDER = web.AppKey("notifications_sender", Sender)


async def sender_context(app: web.Application) -> AsyncIterator[None]:
    """The sender a worker steps (`send_step`); it opens its SMTP connection and its LISTEN
    connection only when first stepped, so API processes hold neither."""
    feed = ChangeFeed(app[SETTINGS], store.DELIVERIES_DUE)
    app[SENDER] = sender = Sender(app[NOTIFICATIONS_SETTINGS], app[POOL], feed)

    async def backlog() -> None:
        for status, count in (await store.unsent(app[POOL])).items():
            DELIVERIES.labels(status).set(count)

    app[METRICS_HOOKS].append(backlog)
    yield
    await sender.close()
    await feed.close()


async def send_step(app: web.Application) -> None:
    await app[SENDER].step()
