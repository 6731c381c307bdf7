"""notifications.throughput: events turned into sent emails per second by a real notifications
worker, against a bare loop rendering the same template and sending over one SMTP connection.

Setup (in its own namespace): the notifications schema, migrated; 2,000 people (--quick: 300)
known as recipients; the development SMTP server (`marketplace mail serve`, which keeps every
message on disk) on a free port; one notifications worker (`python -m services.notifications
--role worker`) sending to it.

Each repeat forgets the deliveries and the inbox, then, in an order that rotates from one repeat
to the next:

  service   one `gateway.user.verification_requested.v1` event per person published to the
            exchange; the worker consumes each (inbox, preferences, the delivery row), and its
            sender claims, renders (Jinja2, text and HTML), sends and marks each sent; emails
            sent / wall clock from the first publish to the last delivery marked sent
  baseline  the same number of emails: render the same template with the same context, compose
            the same message and send it over one aiosmtplib connection kept open; emails /
            wall clock
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aio_pika
import aiosmtplib
import asyncpg

from bench.core import Context, compare, migrate_services, namespace
from services.notifications.domain import Kind
from services.notifications.domain.notices import verification
from services.notifications.render import Renderer, compose
from services.notifications.settings import NotificationsSettings
from shared.contracts import Envelope
from shared.contracts.identity import VerificationRequested
from tests.support.harness import AMQP_URL, ServiceProcess, TestEnvironment, admin_dsn, free_port

TARGET = ">= 0.5x"


@contextlib.asynccontextmanager
async def development_smtp(env: TestEnvironment) -> AsyncIterator[int]:
    """`marketplace mail serve` on a free port, keeping its messages in the run's directory."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops.cli",
        "mail",
        "serve",
        env={**env.env, "MARKET_SMTP_PORT": str(port), "MARKET_DEV_MAIL_DIR": str(env.workdir / "mail")},
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the development SMTP server did not start")
            await asyncio.sleep(0.1)
        yield port
    finally:
        process.terminate()
        await process.wait()


def requests_for(people: list[uuid.UUID]) -> list[Envelope]:
    expires = datetime.now(UTC) + timedelta(hours=48)
    return [
        Envelope.wrap(
            VerificationRequested(
                user_id=user_id,
                email=f"person-{n}@example.com",
                display_name=f"Person {n}",
                token=uuid.uuid4().hex,
                expires_at=expires,
            ),
            producer="gateway",
            aggregate_id=str(user_id),
        )
        for n, user_id in enumerate(people)
    ]


async def forget(admin: asyncpg.Connection) -> None:
    await admin.execute("TRUNCATE notifications.deliveries, notifications.inbox")


async def publish(exchange_name: str, messages: list[Envelope]) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        m.model_dump_json().encode(),
                        message_id=str(m.event_id),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    m.routing_key,
                )
                for m in messages
            )
        )
    finally:
        await connection.close()


async def all_sent(admin: asyncpg.Connection, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while await admin.fetchval("SELECT count(*) FROM notifications.deliveries WHERE status = 'sent'") < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not send every email in time")
        await asyncio.sleep(0.02)


async def bare_loop(port: int, messages: list[Envelope]) -> None:
    """Render the same template, compose the same message, send it over one connection."""
    settings = NotificationsSettings()
    renderer = Renderer(settings.public_url)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
    await smtp.connect()
    try:
        for message in messages:
            event = VerificationRequested.model_validate(message.data)
            notice = verification(event)
            rendered = renderer.render(Kind.VERIFY_EMAIL, notice.context, None)
            email = compose(
                rendered,
                sender=settings.mail_from,
                to=event.email,
                delivery_id=str(uuid.uuid4()),
                kind=Kind.VERIFY_EMAIL,
                unsubscribe_url=None,
            )
            await smtp.send_message(email)
    finally:
        await smtp.quit()


async def run(ctx: Context, emails: int | None = None) -> None:
    emails = emails or (300 if ctx.quick else 2_000)
    service_rates: list[float] = []
    bare_rates: list[float] = []
    async with namespace("bench-notifications") as env:
        await migrate_services(env, ["notifications"])
        admin = await asyncpg.connect(admin_dsn(env.database))
        people = [uuid.uuid4() for _ in range(emails)]
        await admin.executemany(
            "INSERT INTO notifications.recipients (user_id, email, display_name, role, updated_at) "
            "VALUES ($1, $2, $3, 'customer', now())",
            [(user_id, f"person-{n}@example.com", f"Person {n}") for n, user_id in enumerate(people)],
        )
        async with development_smtp(env) as port:
            worker = ServiceProcess(
                ["services.notifications", "--role", "worker"],
                "NOTIFICATIONS_PORT",
                {**env.env, "MARKET_LOG_LEVEL": "warning"},
                env.workdir,
                "notifications-worker",
                {"MARKET_SMTP_HOST": "127.0.0.1", "MARKET_SMTP_PORT": str(port)},
            ).start()
            bar = ctx.progress(
                total=ctx.repeats * 2, desc=f"notifications (n={emails})", unit="run", leave=False
            )
            try:

                async def service() -> None:
                    await forget(admin)
                    messages = requests_for(people)
                    started = time.perf_counter()
                    await publish(f"{env.namespace}.events", messages)
                    await all_sent(admin, emails, timeout_s=600)
                    service_rates.append(emails / (time.perf_counter() - started))

                async def baseline() -> None:
                    messages = requests_for(people)
                    started = time.perf_counter()
                    await bare_loop(port, messages)
                    bare_rates.append(emails / (time.perf_counter() - started))

                steps = [baseline, service]
                for i in range(ctx.repeats):
                    shift = i % len(steps)
                    for step in steps[shift:] + steps[:shift]:
                        await step()
                        bar.update()
            finally:
                bar.close()
                worker.stop()
                await admin.close()
    note = (
        f"{emails} verification emails to known recipients through one worker and the development "
        "SMTP server (every message kept on disk); baseline: the same template rendered and the same "
        "message sent over one aiosmtplib connection, in a loop"
    )
    ctx.add(compare("notifications.throughput", "emails/s", service_rates, bare_rates, TARGET, note=note))
