"""Delivering emails when things go wrong, with a real notifications worker, RabbitMQ,
PostgreSQL and an aiosmtpd server: an event delivered twice sends one email; while the SMTP
server is stopped the attempts fail and wait longer each time, and once it is back every email
arrives exactly once; an email whose template cannot be rendered is parked with its reason at
once and the others still flow; an email parked after its last attempt is sent by
`marketplace notifications replay`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiosmtpd.controller import Controller

from shared.contracts.orders import OrderCancelled
from tests.support.broker import publish_raw
from tests.support.catalogue import envelope
from tests.support.harness import ROOT, ServiceProcess, TestEnvironment, eventually, free_port
from tests.support.notifications import person, register, skipped_as_duplicate, tell, verification
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(240)

# Quick retries, so an outage of a second or two is many attempts.
QUICK = {
    "NOTIFICATIONS_RETRY_BASE_S": "0.2",
    "NOTIFICATIONS_RETRY_CAP_S": "1",
    "NOTIFICATIONS_SEND_POLL_S": "0.2",
}


@pytest.fixture
def worker(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> Iterator[Callable[..., ServiceProcess]]:
    """start(**env) -> a notifications worker sending to the test's SMTP server; stopped when the
    test ends, so none takes the next test's messages with the wrong settings."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        started.append(
            service_processes("notifications", role="worker", **{**smtp_server.env, **QUICK, **env})
        )
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture(autouse=True)
def smtp_running(smtp_server: SmtpCatcher) -> Iterator[None]:
    yield
    smtp_server.start()  # a failed outage test leaves it stopped otherwise


async def deliveries_of(db: asyncpg.Connection, recipients: list[uuid.UUID]) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, recipient, kind, status, attempts, last_error FROM notifications.deliveries "
        "WHERE recipient = ANY($1)",
        recipients,
    )
    return [dict(row) for row in rows]


async def test_an_event_delivered_twice_sends_one_email(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    process = worker()
    ada = person()
    await register(test_env.namespace, db, ada)
    message = envelope(verification(ada), "gateway", ada.user_id)
    body = message.model_dump_json().encode()
    for _ in range(2):
        await publish_raw(f"{test_env.namespace}.events", message.routing_key, body, str(message.event_id))
    await smtp_server.wait_for(ada.email)

    # The copy was received and acknowledged without running its handler again...
    async def copy_skipped() -> bool:
        return skipped_as_duplicate(process, message.event_id)

    await eventually(copy_skipped, message="the copy skipped")

    # ...and the one delivery it made is marked sent: nothing else can send it.
    async def sent() -> bool:
        return [row["status"] for row in await deliveries_of(db, [ada.user_id])] == ["sent"]

    await eventually(sent, message="the one delivery marked sent")
    assert len(smtp_server.to(ada.email)) == 1


async def test_while_smtp_is_down_attempts_fail_and_back_off_then_every_email_arrives_once(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    process = worker(NOTIFICATIONS_MAX_ATTEMPTS="100")
    people = [person(name=f"Person {n}") for n in range(12)]
    for someone in people:
        await register(test_env.namespace, db, someone)
    smtp_server.stop()
    for someone in people:
        await tell(test_env.namespace, verification(someone), someone.user_id)
    ids = [someone.user_id for someone in people]

    async def all_failing_again_and_again() -> bool:
        rows = await deliveries_of(db, ids)
        return len(rows) == len(people) and all(
            row["status"] == "pending" and row["attempts"] >= 3 and row["last_error"] for row in rows
        )

    await eventually(all_failing_again_and_again, timeout_s=30, message="every email tried and failing")
    async with aiohttp.ClientSession() as session, session.get(f"{process.url}/metrics") as response:
        metrics = await response.text()
    [pending] = [
        line for line in metrics.splitlines() if line.startswith('notifications_deliveries{status="pending"}')
    ]
    assert float(pending.split()[-1]) >= len(people)
    assert not smtp_server.messages or all(
        someone.email not in m.to for m in smtp_server.messages for someone in people
    )
    smtp_server.start()
    for someone in people:
        await smtp_server.wait_for(someone.email, timeout_s=30)

    async def all_sent() -> bool:
        return all(row["status"] == "sent" for row in await deliveries_of(db, ids))

    await eventually(all_sent, message="every delivery marked sent")
    for someone in people:
        [mail] = smtp_server.to(someone.email)
        assert mail.subject == "Confirm your email address"
    message_ids = {smtp_server.to(someone.email)[0].header("Message-ID") for someone in people}
    assert len(message_ids) == len(people)


async def test_an_email_owed_before_its_recipients_address_is_known_waits_for_it(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    worker()
    late = person()
    order_id = uuid.uuid4()
    cancelled = OrderCancelled(
        order_id=order_id,
        reference="FF-LATE-0001",
        customer_id=late.user_id,
        reason="expired",
        release_stock=False,
    )
    await tell(test_env.namespace, cancelled, order_id)

    async def waiting() -> bool:
        rows = await deliveries_of(db, [late.user_id])
        return bool(rows) and rows[0]["attempts"] >= 2 and "no address known" in rows[0]["last_error"]

    await eventually(waiting, message="the email tried, no address yet")
    await register(test_env.namespace, db, late)
    [mail] = await smtp_server.wait_for(late.email)
    assert mail.subject == "Your order FF-LATE-0001 is cancelled"


async def test_a_worker_dying_between_the_send_and_its_mark_sends_a_recognisable_copy(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    """The at-least-once window, shown: the copy carries the first one's Message-ID."""
    dying = worker(MARKET_FAULT_POINT="after_send_before_mark", NOTIFICATIONS_CLAIM_LEASE_S="1")
    ada = person()
    await register(test_env.namespace, db, ada)
    await tell(test_env.namespace, verification(ada), ada.user_id)
    [first] = await smtp_server.wait_for(ada.email)
    assert dying.wait_exit() != 0
    worker()
    first_copy, second_copy = await smtp_server.wait_for(ada.email, count=2)
    assert first_copy.header("Message-ID") == second_copy.header("Message-ID") == first.header("Message-ID")

    async def sent() -> bool:
        [row] = await deliveries_of(db, [ada.user_id])
        return row["status"] == "sent" and row["attempts"] == 2

    await eventually(sent, message="the copy marked sent")


class Bouncing:
    """An SMTP server that refuses `gone-…` addresses for good (550) and every other for now
    (450)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("gone-"):
            return "550 5.1.1 No such mailbox"
        return "450 4.2.1 Mailbox busy, try later"


async def test_an_address_refused_for_good_is_parked_at_once_and_one_refused_for_now_is_retried(
    test_env: TestEnvironment, db: asyncpg.Connection, worker: Callable[..., ServiceProcess]
) -> None:
    bouncing = Controller(Bouncing(), hostname="127.0.0.1", port=free_port())
    bouncing.start()
    try:
        worker(MARKET_SMTP_PORT=str(bouncing.port), NOTIFICATIONS_MAX_ATTEMPTS="100")
        gone, busy = person(), person()
        gone.email, busy.email = f"gone-{gone.email}", f"busy-{busy.email}"
        for someone in (gone, busy):
            await register(test_env.namespace, db, someone)
            await tell(test_env.namespace, verification(someone), someone.user_id)

        async def busy_tried_again() -> dict[uuid.UUID, asyncpg.Record] | None:
            rows = {r["recipient"]: r for r in await deliveries_of(db, [gone.user_id, busy.user_id])}
            return rows if len(rows) == 2 and rows[busy.user_id]["attempts"] >= 3 else None

        rows = await eventually(busy_tried_again, timeout_s=30, message="the busy address tried again")
        assert (rows[busy.user_id]["status"], "450" in rows[busy.user_id]["last_error"]) == ("pending", True)
        assert (rows[gone.user_id]["status"], rows[gone.user_id]["attempts"]) == ("parked", 1)
        reason = await db.fetchval(
            "SELECT last_error FROM notifications.deliveries WHERE recipient = $1", gone.user_id
        )
        assert reason.startswith("address refused: ") and "No such mailbox" in reason
    finally:
        bouncing.stop()


async def test_a_sender_gives_back_what_it_could_not_try_before_its_claim_lapses(
    test_env: TestEnvironment, db: asyncpg.Connection, worker: Callable[..., ServiceProcess]
) -> None:
    """An SMTP server that accepts connections and never answers makes every attempt last its
    whole timeout: a batch outlasts the lease. The sender stops at half the lease and gives the
    rest back, so two workers never both try one email: each is tried exactly once."""
    connections = 0

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the client gives up and closes
        writer.close()

    hung = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = hung.sockets[0].getsockname()[1]
    slow = {
        "MARKET_SMTP_PORT": str(port),
        "MARKET_SMTP_TIMEOUT_S": "0.5",
        "NOTIFICATIONS_CLAIM_LEASE_S": "3",
        "NOTIFICATIONS_SMTP_CONNECTIONS": "1",
        "NOTIFICATIONS_RETRY_BASE_S": "120",
        "NOTIFICATIONS_RETRY_CAP_S": "120",
    }
    try:
        worker(**slow)
        worker(**slow)
        people = [person() for _ in range(10)]
        for someone in people:
            await register(test_env.namespace, db, someone)
        # Owed in one commit, so one sender claims them as one batch.
        async with db.transaction():
            for someone in people:
                await db.execute(
                    "INSERT INTO notifications.deliveries (id, event_id, recipient, kind, category, context) "
                    "VALUES ($1, $2, $3, 'verify_email', 'account', $4::jsonb)",
                    uuid.uuid4(),
                    uuid.uuid4(),
                    someone.user_id,
                    json.dumps({"link": "/verify-email?token=t", "expires_at": "2030-01-01T00:00:00+00:00"}),
                )
        ids = [someone.user_id for someone in people]

        async def all_tried() -> list[dict[str, Any]] | None:
            rows = await deliveries_of(db, ids)
            return rows if all(row["last_error"] for row in rows) else None

        rows = await eventually(all_tried, timeout_s=30, message="every email tried once")
        assert [row["attempts"] for row in rows] == [1] * len(people)
        assert connections >= len(people)  # each attempt a connection (other tests' emails too)
    finally:
        hung.close()


async def test_a_template_error_parks_that_email_and_the_others_still_go(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    worker()
    broken, fine = person(), person()
    for someone in (broken, fine):
        await register(test_env.namespace, db, someone)
    # What a delivery stored before its template named a new variable looks like: the receipt's
    # template cannot render without the order's lines and totals.
    broken_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO notifications.deliveries (id, event_id, recipient, kind, category, context) "
        "VALUES ($1, $2, $3, 'order_confirmed', 'transactional', '{\"reference\": \"FF-BROK-0001\"}')",
        broken_id,
        uuid.uuid4(),
        broken.user_id,
    )
    await tell(test_env.namespace, verification(fine), fine.user_id)
    await smtp_server.wait_for(fine.email)

    async def parked() -> asyncpg.Record | None:
        return await db.fetchrow(
            "SELECT status, attempts, last_error FROM notifications.deliveries "
            "WHERE id = $1 AND status = 'parked'",
            broken_id,
        )

    row = await eventually(parked, message="the broken email parked")
    assert row["attempts"] == 1
    assert "order_confirmed" in row["last_error"] and "undefined" in row["last_error"]
    assert smtp_server.to(broken.email) == []


async def test_an_email_parked_after_its_last_attempt_is_sent_by_replay(
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    smtp_server: SmtpCatcher,
    worker: Callable[..., ServiceProcess],
) -> None:
    worker(NOTIFICATIONS_MAX_ATTEMPTS="2")
    ada = person()
    await register(test_env.namespace, db, ada)
    smtp_server.stop()
    await tell(test_env.namespace, verification(ada), ada.user_id)

    async def parked() -> bool:
        rows = await deliveries_of(db, [ada.user_id])
        return bool(rows) and rows[0]["status"] == "parked" and rows[0]["attempts"] == 2

    await eventually(parked, timeout_s=30, message="parked after two attempts")
    smtp_server.start()
    [row] = await deliveries_of(db, [ada.user_id])
    listing = [json.loads(line) for line in (await cli("notifications", "parked")).splitlines()]
    [entry] = [entry for entry in listing if entry["id"] == str(row["id"])]
    assert entry["kind"] == "verify_email" and "attempt 2" in entry["last_error"]
    assert "1 parked email(s) due again" in await cli("notifications", "replay", "--id", str(row["id"]))
    [mail] = await smtp_server.wait_for(ada.email)
    assert mail.subject == "Confirm your email address"

    async def sent_once() -> bool:
        rows = await deliveries_of(db, [ada.user_id])
        return [(row["status"], row["attempts"]) for row in rows] == [("sent", 1)]

    await eventually(sent_once, message="marked sent at its first attempt after the replay")


async def cli(*args: str) -> str:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ops.cli", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
