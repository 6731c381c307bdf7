"""The marketplace under load while the links it depends on misbehave and its background workers
die mid-work: latency, packet loss and a blackhole between every service and PostgreSQL, the same
between every service and RabbitMQ, the media worker SIGKILLed with photos in hand, the
notifications sender killed between the SMTP server's acceptance and its mark, and the SMTP
server down.

The module runs a stack of its own (tests.reliability.marketplace.Stack, the media and
notifications workers in processes of their own) whose processes reach PostgreSQL and RabbitMQ
through two TCP proxies (tests.support.faults.TcpProxy, forwarding untouched between faults) and
send their emails to an aiosmtpd server of the test (tests.support.smtp.SmtpCatcher). Every
maker and customer of the load has an account notifications knows of (told as the gateway tells
it), so every order sends real emails. Another stack of the run (the package's) shares the
database and queues: it is paused while this module runs and started again after.

Each scenario is `scenario` of test_scenarios (same load, same oracle, handed the SMTP server's
log but where a sender is killed, same report) with checks of its own added to the verdict:
    emails   every email owed to the scenario's people was sent and arrived, once per (event,
             recipient, kind): none parked or pending, none missing at the SMTP server, none
             for a recipient other than the one owed; a Message-ID received twice is a
             duplicate, allowed only where the sender's documented window was hit (a sender
             killed between the server's acceptance and the mark), where they are counted
    photos   every photo uploaded during the load is ready, processed once: one
             `media.image.processed` event, sent, none failed, the catalogue told
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from ops.services import definition
from shared.contracts.identity import UserRegistered
from shared.contracts.media import ImageProcessed, ImageUploaded
from shared.contracts.orders import OrderConfirmed
from tests.reliability.marketplace import FULL, PROFILE, Client, Load, Shop, Stack, Verdict
from tests.reliability.test_scenarios import KILLS, Checks, _killed_at, scenario
from tests.support.faults import TcpProxy
from tests.support.harness import TestEnvironment, eventually
from tests.support.notifications import tell
from tests.support.photos import jpeg
from tests.support.smtp import SmtpCatcher

# The first scenario also starts the module's stack.
pytestmark = [pytest.mark.timeout(900 if FULL else 600)]

LATENCY_S = 0.2
LOSS = 0.05
PHASE_S = 20.0 if FULL else 3.0  # latency, then loss
BLACKHOLE_S = 10.0 if FULL else 3.0
SMTP_DOWN_S = 120.0 if FULL else 8.0
SMTP_CONNECTIONS = 4
# Short enough that a killed sender's claimed emails go again within the settle bound; retries
# of an unreachable SMTP server capped at 10 s, with attempts enough for many minutes of outage
# before an email is parked (the defaults: 120 s lease, waits up to 300 s, 15 attempts).
NOTIFICATIONS_ENV = {
    "NOTIFICATIONS_SMTP_CONNECTIONS": str(SMTP_CONNECTIONS),
    "NOTIFICATIONS_CLAIM_LEASE_S": "10",
    "NOTIFICATIONS_RETRY_BASE_S": "1",
    "NOTIFICATIONS_RETRY_CAP_S": "10",
    "NOTIFICATIONS_MAX_ATTEMPTS": "60",
    "MARKET_PUBLIC_URL": "https://shop.example",
}
EMAILS_SETTLE_S = SMTP_DOWN_S + 90
SERVICES = ("makers", "catalogue", "orders", "media", "notifications")
MEDIA_ENV_KEY = "MEDIA_STORAGE_DIR"


@dataclass
class Links:
    stack: Stack
    pg: TcpProxy
    amqp: TcpProxy
    smtp: SmtpCatcher
    namespace: str
    addresses: dict[uuid.UUID, str] = field(default_factory=dict)  # user id -> email address

    async def enrol(self, user_id: uuid.UUID, role: str) -> None:
        """An account for the user, told to notifications as the gateway tells it (over the
        broker, not through the proxies: the gateway is not under test here)."""
        address = f"{role}-{user_id.hex[:12]}@example.com"
        self.addresses[user_id] = address
        registered = UserRegistered(
            user_id=user_id, email=address, display_name=f"A {role}", role=role, email_verified=True
        )
        await tell(self.namespace, registered, user_id)


def _delete_queues(namespace: str, names: list[str]) -> None:
    for name in names:
        subprocess.run(
            ["rabbitmqctl", "delete_queue", f"{namespace}.{name}"], capture_output=True, timeout=60
        )


@pytest.fixture(scope="module")
def links(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[Links]:
    paused = list(Stack.live)
    for other in paused:
        other.close()
    smtp = SmtpCatcher().start()
    pg_proxy = TcpProxy("127.0.0.1", 5432, "services-pg").start()
    amqp_proxy = TcpProxy("127.0.0.1", 5672, "services-amqp").start()
    amqp_url = test_env.env["MARKET_AMQP_URL"].replace("127.0.0.1:5672", f"127.0.0.1:{amqp_proxy.port}")
    assert amqp_url != test_env.env["MARKET_AMQP_URL"], "the proxy must stand in for the broker"
    run_delays = json.loads(test_env.env["MARKET_RETRY_DELAYS_MS"])
    delays = [*run_delays, 3000, 6000]  # as the package's stack: see its fixture
    stack = Stack(
        test_env.env,
        workdir,
        # The workers these scenarios kill run apart from their APIs; catalogue and orders
        # run every role in one process (PostgreSQL's connections are shared with the run).
        split=("media", "notifications"),
        MARKET_RETRY_DELAYS_MS=json.dumps(delays),
        MARKET_PG_POOL_MIN="1",
        MARKET_PG_POOL_MAX="3",
        MARKET_PG_HOST="127.0.0.1",
        MARKET_PG_PORT=str(pg_proxy.port),
        MARKET_AMQP_URL=amqp_url,
        PYTHONUNBUFFERED="1",
        **smtp.env,
        **NOTIFICATIONS_ENV,
    )
    try:
        stack.start_all(ready_s=180)  # a dozen processes at once: slow on a busy machine
        yield Links(stack, pg_proxy, amqp_proxy, smtp, test_env.namespace)
    finally:
        stack.close()
        pg_proxy.stop()
        amqp_proxy.stop()
        smtp.stop()
        _delete_queues(
            test_env.namespace,
            [
                f"{service}.retry.{attempt}"
                for service in SERVICES
                for attempt in range(len(run_delays) + 1, len(delays) + 1)
            ],
        )
        for other in paused:
            other.start_all()


@pytest.fixture
async def shop(links: Links, pg, mint: Callable[..., str]) -> AsyncIterator[Shop]:
    # A process an earlier scenario left dead (one whose start failed, say) is started again, so
    # that scenario's failure is not every later one's too.
    stack = links.stack
    for key in stack.dead():
        if key == "gateway":
            stack.procs["gateway"] = await asyncio.to_thread(stack.gateway)
            continue
        storage = {MEDIA_ENV_KEY: str(stack.workdir / "media-storage")} if key.startswith("media") else {}
        await asyncio.to_thread(stack.start, key, True, **storage)
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        shop = Shop(session, links.stack.url("gateway"), pg, mint)
        shop.enrol = links.enrol
        yield shop


# --- the scenario's own checks ---------------------------------------------------------------------


def _notifications_keys() -> list[str]:
    service = definition("notifications")
    return sorted({cls.routing_key() for cls in service.handlers(web.Application())})


def _delivery_id(message_id: str) -> uuid.UUID | None:
    """The delivery a Message-ID was made from (`<delivery id@domain>`)."""
    local = message_id.strip().strip("<>").partition("@")[0]
    try:
        return uuid.UUID(local)
    except ValueError:
        return None


def emails_once(links: Links, pg: asyncpg.Pool, window: tuple[int, int] = (0, 0)) -> Checks:
    """Every email owed to the load's people sent and received once per (event, recipient,
    kind); `window`: the least and most Message-ID duplicates the scenario's faults must and
    may cause (the sender's documented window), none otherwise."""

    async def check(load: Load, verdict: Verdict) -> None:
        f = verdict.figures
        people = [*load.customers, *(m.user_id for m in load.makers)]
        order_ids = [str(oid) for oid in load.order_ids()]
        maker_ids = [m.id for m in load.makers]
        keys = _notifications_keys()

        async def quiet() -> bool:
            # Every event about these orders and makers that notifications consumes taken in,
            # and no email of these people still waiting to go.
            untaken = await pg.fetchval(
                "SELECT (SELECT count(*) FROM orders.outbox o WHERE o.routing_key = ANY($3) "
                "AND (o.envelope->'data'->>'order_id' = ANY($1) OR o.aggregate_id = ANY($1)) "
                "AND NOT EXISTS (SELECT 1 FROM notifications.inbox i WHERE i.event_id = o.event_id)) "
                "+ (SELECT count(*) FROM makers.outbox o WHERE o.routing_key = ANY($3) "
                "AND o.aggregate_id = ANY($2) "
                "AND NOT EXISTS (SELECT 1 FROM notifications.inbox i WHERE i.event_id = o.event_id))",
                order_ids,
                maker_ids,
                keys,
            )
            waiting = await pg.fetchval(
                "SELECT count(*) FROM notifications.deliveries "
                "WHERE recipient = ANY($1) AND status = 'pending'",
                people,
            )
            return untaken == 0 and waiting == 0

        try:
            await eventually(quiet, timeout_s=EMAILS_SETTLE_S, interval_s=0.25, message="every email sent")
        except AssertionError as exc:
            verdict.fail(f"emails did not settle: {exc}"[:500])
        deliveries = await pg.fetch(
            "SELECT id, event_id, recipient, kind, status, attempts, last_error "
            "FROM notifications.deliveries WHERE recipient = ANY($1)",
            people,
        )
        by_id = {d["id"]: d for d in deliveries}
        # Each confirmed order owes its customer a receipt: the deliveries are not all there is
        # to check, the events must have made them.
        confirmations = await pg.fetch(
            "SELECT event_id, envelope->'data'->>'customer_id' AS customer FROM orders.outbox "
            "WHERE routing_key = $1 AND envelope->'data'->>'order_id' = ANY($2)",
            OrderConfirmed.routing_key(),
            order_ids,
        )
        owed = {(d["event_id"], d["recipient"]) for d in deliveries}
        unowed = [c for c in confirmations if (c["event_id"], uuid.UUID(c["customer"])) not in owed]
        received: Counter[uuid.UUID] = Counter()
        misaddressed = 0
        for mail in links.smtp.messages:
            delivery_id = _delivery_id(str(mail.message.get("Message-ID", "")))
            if delivery_id is None or delivery_id not in by_id:
                continue
            received[delivery_id] += 1
            if links.addresses.get(by_id[delivery_id]["recipient"]) not in mail.to:
                misaddressed += 1
        parked = [d for d in deliveries if d["status"] == "parked"]
        pending = [d for d in deliveries if d["status"] == "pending"]
        missing = [d for d in deliveries if d["status"] == "sent" and not received[d["id"]]]
        duplicates = sum(n - 1 for n in received.values() if n > 1)
        f["emails_owed"] = len(deliveries)
        f["emails_by_kind"] = dict(Counter(d["kind"] for d in deliveries))
        f["emails_received"] = sum(received.values())
        f["email_attempts_failed"] = sum(
            d["attempts"] - (1 if d["status"] == "sent" else 0) for d in deliveries
        )
        f["email_duplicates_message_id"] = duplicates
        f["email_duplicates_allowed"] = list(window)
        verdict.none_allowed("emails_parked", len(parked), f"{len(parked)} emails parked: {parked[:2]}")
        verdict.none_allowed("emails_pending", len(pending), f"{len(pending)} emails never sent")
        verdict.none_allowed(
            "emails_lost", len(missing), f"{len(missing)} emails marked sent, never received"
        )
        verdict.none_allowed(
            "emails_misaddressed", misaddressed, f"{misaddressed} emails to the wrong person"
        )
        verdict.none_allowed(
            "receipts_never_owed",
            len(unowed),
            f"{len(unowed)} confirmed orders owe their customer no receipt",
        )
        low, high = window
        if not low <= duplicates <= high:
            verdict.fail(f"{duplicates} emails received twice (Message-ID); expected {low}..{high}")

    return check


def photos_once(pg: asyncpg.Pool, uploaded: list[uuid.UUID], stack: Stack) -> Checks:
    """Every photo uploaded during the load ready and processed once."""

    async def check(load: Load, verdict: Verdict) -> None:
        f = verdict.figures

        async def done() -> bool:
            left = await pg.fetchval(
                "SELECT count(*) FROM media.images WHERE id = ANY($1) AND status = 'processing'", uploaded
            )
            told = await pg.fetchval(
                "SELECT count(*) FROM catalogue.media_images WHERE image_id = ANY($1) AND status = 'ready'",
                uploaded,
            )
            return left == 0 and told == len(uploaded)

        try:
            await eventually(
                done, timeout_s=PROFILE.settle_s, interval_s=0.25, message="every photo processed"
            )
        except AssertionError as exc:
            verdict.fail(f"photos did not settle: {exc}"[:500])
        statuses = Counter(
            r["status"]
            for r in await pg.fetch("SELECT status FROM media.images WHERE id = ANY($1)", uploaded)
        )
        events = await pg.fetch(
            "SELECT aggregate_id, routing_key, sent_at FROM media.outbox "
            "WHERE aggregate_id = ANY($1) AND routing_key <> $2",
            [str(i) for i in uploaded],
            ImageUploaded.routing_key(),
        )
        processed = Counter(
            e["aggregate_id"] for e in events if e["routing_key"] == ImageProcessed.routing_key()
        )
        renditions = await pg.fetch(
            "SELECT image_id, count(*) AS n FROM media.renditions WHERE image_id = ANY($1) GROUP BY 1",
            uploaded,
        )
        # Work begun again: photos a killed worker had started, made again by its successor
        # (harmless: the same bytes under the same content addresses).
        started: Counter[str] = Counter()
        for proc in [stack.procs["media.worker"], *stack.retired]:
            if proc.name != "media-worker":
                continue
            for line in proc.logs().splitlines():
                if '"image_processing_started"' in line:
                    started[json.loads(line).get("image_id", "")] += 1
        f["photos_uploaded"] = len(uploaded)
        f["photo_states"] = dict(statuses)
        f["photos_made_again_after_kill"] = sum(n - 1 for i, n in started.items() if n > 1)
        not_ready = len(uploaded) - statuses.get("ready", 0)
        verdict.none_allowed("photos_not_ready", not_ready, f"{not_ready} photos not ready: {dict(statuses)}")
        twice = sum(1 for n in processed.values() if n > 1)
        never = sum(1 for i in uploaded if not processed[str(i)])
        verdict.none_allowed("photos_processed_twice", twice, f"{twice} photos processed (event) twice")
        verdict.none_allowed("photos_never_processed", never, f"{never} photos without a processed event")
        others = [
            dict(e)
            for e in events
            if e["routing_key"] != ImageProcessed.routing_key() or e["sent_at"] is None
        ]
        verdict.none_allowed("photo_events_failed_or_unsent", len(others), f"photo events: {others[:3]}")
        without = len(uploaded) - sum(1 for r in renditions if r["n"] > 0)
        verdict.none_allowed("photos_without_renditions", without, f"{without} photos without renditions")

    return check


def both(*checks: Checks) -> Checks:
    async def check(load: Load, verdict: Verdict) -> None:
        for one in checks:
            await one(load, verdict)

    return check


# --- the scenarios -----------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["postgresql", "rabbitmq"])
async def test_latency_then_loss_then_a_blackhole_on_every_service_link(
    shop: Shop, links: Links, pg, services_db: dict, link: str
) -> None:
    proxy = links.pg if link == "postgresql" else links.amqp
    name = "PostgreSQL" if link == "postgresql" else "RabbitMQ"

    async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
        before = (proxy.stats.connections, proxy.stats.lost)
        await asyncio.sleep(1.0)
        proxy.forward(latency_s=LATENCY_S)
        injected.append(
            f"{int(LATENCY_S * 1000)} ms each way on every service ↔ {name} connection, {PHASE_S:g}s"
        )
        await asyncio.sleep(PHASE_S)
        proxy.forward(loss=LOSS)
        injected.append(f"then {LOSS:.0%} of chunks lost (TCP retransmission, 200 ms doubling), {PHASE_S:g}s")
        await asyncio.sleep(PHASE_S)
        lost = proxy.stats.lost - before[1]
        proxy.blackhole()
        injected.append(f"then blackholed (nothing through either way), {BLACKHOLE_S:g}s")
        await asyncio.sleep(BLACKHOLE_S)
        proxy.forward()
        injected.append("then forwarding again")
        return {"link": {"connections": proxy.stats.connections - before[0], "chunks_lost": lost}}

    await scenario(
        f"{link}_link_latency_loss_blackhole",
        f"200 ms latency, then 5% loss, then a blackhole between every service and {name}",
        shop,
        links.stack,
        pg,
        services_db,
        faults,
        checks=emails_once(links, pg),
        mailbox=links.smtp,
    )


async def test_media_worker_killed_with_photos_in_hand(
    shop: Shop, links: Links, pg, services_db: dict
) -> None:
    stack = links.stack
    uploaded: list[uuid.UUID] = []
    storage = {MEDIA_ENV_KEY: str(stack.workdir / "media-storage")}

    async def uploads(load: Load, stop: asyncio.Event) -> None:
        """Each maker adds photos, one after another, through the gateway, until the faults are
        over (a 2000x1500 JPEG: long enough to decode and encode that a kill finds some in hand)."""

        async def maker_uploads(token: str) -> None:
            client = Client(shop.session, shop.gateway_url, load.traffic)
            headers = {"X-Forwarded-For": client.address, "Authorization": f"Bearer {token}"}
            while not stop.is_set():
                body = await asyncio.to_thread(jpeg, 2000, 1500)

                async def once(body: bytes = body) -> str | None:
                    form = aiohttp.FormData()
                    form.add_field("file", body, filename="piece.jpg", content_type="image/jpeg")
                    try:
                        async with shop.session.post(
                            f"{shop.gateway_url}/api/v1/images", data=form, headers=headers
                        ) as response:
                            answer = await response.json(content_type=None)
                            if response.status == 202:
                                return str(answer["id"])
                            assert response.status >= 500 or response.status == 429, (response.status, answer)
                            return None
                    except (aiohttp.ClientError, TimeoutError):
                        return None

                image_id = await eventually(once, timeout_s=60, interval_s=0.25, message="a photo accepted")
                uploaded.append(uuid.UUID(image_id))
                await asyncio.sleep(0.5)

        await asyncio.gather(*(maker_uploads(m.token) for m in load.makers))

    async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
        stop = asyncio.Event()
        uploading = asyncio.create_task(uploads(load, stop))
        try:
            for n in range(KILLS):
                proc = stack.procs["media.worker"]

                async def in_hand(proc: Any = proc) -> int:
                    logs = proc.logs()
                    finished = sum(
                        logs.count(f'"{what}"')
                        for what in ("image_processed", "image_recorded_already", "image_failed")
                    )
                    return max(0, logs.count('"image_processing_started"') - finished)

                held = await eventually(in_hand, timeout_s=60, interval_s=0.02, message="a photo in hand")
                code = await asyncio.to_thread(proc.kill)
                assert code == -9, code
                injected.append(f"media worker SIGKILLed with {held} photo(s) in hand (kill {n + 1})")
                await asyncio.sleep(2.0)  # uploads pile up meanwhile
                await asyncio.to_thread(stack.start, "media.worker", True, **storage)
                injected.append("media worker restarted")
                await asyncio.sleep(2.0)
        finally:
            stop.set()
            await uploading
        return {}

    await scenario(
        "media_worker_killed_mid_work",
        "Media worker SIGKILLed with photos in hand while makers upload, then restarted",
        shop,
        stack,
        pg,
        services_db,
        faults,
        checks=both(photos_once(pg, uploaded, stack), emails_once(links, pg)),
        mailbox=links.smtp,
    )


async def test_notifications_sender_killed_between_send_and_mark(
    shop: Shop, links: Links, pg, services_db: dict
) -> None:
    async def faults(load: Load, injected: list[str]) -> None:
        await asyncio.sleep(1.0)
        await _killed_at(links.stack, "notifications.worker", "after_send_before_mark", injected)

    # Each kill leaves the message it was sending accepted and unmarked (at least one copy
    # again), and at most one on each of the sender's other connections. The oracle is not
    # handed the SMTP log here: it allows no copy at all, emails_once counts them in the window.
    await scenario(
        "notifications_sender_killed_after_send_before_mark",
        "Notifications sender killed after the SMTP server accepted an email, before marking it, "
        "then restarted",
        shop,
        links.stack,
        pg,
        services_db,
        faults,
        checks=emails_once(links, pg, window=(KILLS, KILLS * SMTP_CONNECTIONS)),
    )


async def test_smtp_server_down(shop: Shop, links: Links, pg, services_db: dict) -> None:
    async def faults(load: Load, injected: list[str]) -> None:
        await asyncio.sleep(1.0)
        links.smtp.stop()
        try:
            injected.append(f"SMTP server down (connections refused) {SMTP_DOWN_S:g}s")
            await asyncio.sleep(SMTP_DOWN_S)
        finally:
            links.smtp.start()
        injected.append("SMTP server back on its port")

    await scenario(
        "smtp_server_down",
        f"The SMTP server down for {SMTP_DOWN_S:g} s under load",
        shop,
        links.stack,
        pg,
        services_db,
        faults,
        checks=emails_once(links, pg),
        mailbox=links.smtp,
    )
