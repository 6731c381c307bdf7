"""The oracle can fail: each invariant broken on purpose in a real run's database, and the oracle
naming exactly that violation.

One small honest run (customers ordering through the gateway, then cancelling, declining and
fulfilling to delivery) is judged clean first. Each test then opens a transaction on the run's
database, plants one fault the marketplace could commit (a maker order row twice, a second
capture or refund at the payment provider, an event a consumer never applied, an email sent
twice, a transfer paid twice, an image processed twice ...), runs the oracle inside that
transaction, and rolls back, so every test starts from the same honest run.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Any

import aiohttp
import asyncpg
import pytest

from ops.mailbox import Mail
from tests.reliability.marketplace import Load, Maker, Profile, Shop, Stack, aftercare
from tests.reliability.oracle import Verdict, oracle, settled

pytestmark = [pytest.mark.timeout(300)]

# Small: enough orders to have some confirmed, cancelled after confirmation (refunded), declined
# and delivered (payout ledger), and every kind of event and email behind them.
RUN = Profile(
    customers=6, orders_per_customer=2, makers=2, listings_per_maker=4, settle_s=90, think_s=(0.2, 0.6)
)


@dataclass
class Run:
    load: Load
    makers: list[Maker]
    services_db: dict[str, Any]
    pool: asyncpg.Pool

    async def judge(self, mutate: Callable[[Any], Awaitable[Any]], **kw: Any) -> Verdict:
        """The oracle's verdict with `mutate` applied, inside a transaction rolled back after."""
        async with self.pool.acquire() as conn:
            transaction = conn.transaction(isolation="repeatable_read")
            await transaction.start()
            try:
                await mutate(conn)
                return await oracle(conn, self.load, self.makers, self.services_db, **kw)
            finally:
                await transaction.rollback()


@pytest.fixture(scope="module")
async def run(
    stack: Stack, pg: asyncpg.Pool, services_db: dict, mint: Callable[..., str]
) -> AsyncIterator[Run]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        shop = Shop(session, stack.url("gateway"), pg, mint)  # type: ignore[arg-type]  # a pool, as in conftest
        makers = await shop.catalogue(RUN)
        load = Load(shop, makers, RUN)
        await load.run()
        await settled(pg, load.order_ids(), RUN.settle_s, since=load.finished)
        await aftercare(shop, load, makers, share=0.75)
        await settled(pg, load.order_ids(), RUN.settle_s)
        yield Run(load, makers, services_db, pg)


def assert_reports(verdict: Verdict, must: list[str], may: tuple[str, ...] = ()) -> None:
    """Every phrase in `must` is in some violation, and every violation is one of `must` or
    `may` (the same fault's other faces): the oracle names this fault and nothing else."""
    for phrase in must:
        assert any(phrase in v for v in verdict.violations), (phrase, verdict.violations)
    for violation in verdict.violations:
        assert any(p in violation for p in (*must, *may)), (violation, must, may)


async def one(conn: asyncpg.Connection, query: str, *args: Any) -> asyncpg.Record:
    row = await conn.fetchrow(query, *args)
    assert row is not None, f"the honest run has none: {query}"
    return row


async def noop(conn: asyncpg.Connection) -> None:
    return None


# --- the honest run ------------------------------------------------------------------------------


async def test_the_honest_run_is_clean(run: Run) -> None:
    verdict = await run.judge(noop)
    assert not verdict.violations, verdict.violations
    f = verdict.figures
    # The run exercised what the mutations break: each of these exists to be broken.
    assert f["payments_authorised"] > 0, f
    assert f["payment_calls"].get("capture:captured", 0) > 0, f
    assert f["payment_calls"].get("refund:refunded", 0) > 0, f
    assert f["maker_orders"].get("delivered", 0) > 0, f
    assert f["emails_owed"] > 0, f
    assert f["images"] > 0, f


# --- orders --------------------------------------------------------------------------------------


async def test_a_maker_order_row_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        mo = await one(
            conn,
            "SELECT id FROM orders.maker_orders WHERE order_id = ANY($1) AND status = 'awaiting_acceptance' "
            "LIMIT 1",
            run.load.order_ids(),
        )
        await conn.execute(
            "INSERT INTO orders.maker_orders SELECT (jsonb_populate_record(m, "
            "jsonb_build_object('id', gen_random_uuid(), 'reference', m.reference || 'X'))).* "
            "FROM orders.maker_orders m WHERE m.id = $1",
            mo["id"],
        )

    verdict = await run.judge(mutate)
    assert verdict.figures["maker_orders_duplicated"] == 1
    # Its lines are in two maker orders (the split is wrong), so the customer seems to keep twice
    # what they paid for.
    assert_reports(
        verdict, ["more than one per (order, maker)"], ("do not split their lines", "the customer kept")
    )


async def test_an_order_made_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        oid = run.load.order_ids()[0]
        await conn.execute(
            "INSERT INTO orders.orders SELECT (jsonb_populate_record(o, jsonb_build_object("
            "'id', gen_random_uuid(), 'reference', o.reference || 'X', 'status', 'cancelled', "
            "'cancellation_reason', 'payment_declined', "
            "'data', jsonb_set(o.data, '{payment,status}', '\"none\"')))).* "
            "FROM orders.orders o WHERE o.id = $1",
            oid,
        )

    verdict = await run.judge(mutate)
    assert verdict.figures["orders_duplicated"] >= 1
    assert verdict.figures["orders_created_but_unacknowledged"] == 0
    assert_reports(verdict, ["orders duplicated"])


async def test_an_order_no_client_was_told_of(run: Run) -> None:
    # The client's checkout ended without its 201 (it gave up): the order exists all the same.
    load = copy.copy(run.load)
    i = next(i for i, a in enumerate(load.attempts) if a.status == 201)
    load.attempts = [*load.attempts]
    load.attempts[i] = replace(load.attempts[i], status=503, order_id=None)
    verdict = await Run(load, run.makers, run.services_db, run.pool).judge(noop)
    assert verdict.figures["orders_created_but_unacknowledged"] == 1
    assert verdict.figures["orders_duplicated"] == 0
    assert_reports(verdict, ["no client was told of"], ("never answered",))


# --- payments ------------------------------------------------------------------------------------


async def captured_order(conn: asyncpg.Connection, load: Load, status: str = "confirmed") -> asyncpg.Record:
    return await one(
        conn,
        "SELECT o.id, o.data, c.authorisation_key FROM orders.orders o "
        "JOIN orders.sandbox_calls c ON c.order_id = o.id AND c.operation = 'capture' AND c.effective "
        "WHERE o.id = ANY($1) AND o.status = $2 AND o.data->'refunds' = '[]'::jsonb LIMIT 1",
        load.order_ids(),
        status,
    )


async def log_call(
    conn: asyncpg.Connection, order: asyncpg.Record, operation: str, key: str, amount: int
) -> None:
    await conn.execute(
        "INSERT INTO orders.sandbox_calls (operation, idempotency_key, authorisation_key, order_id, "
        "answered_reference, amount, currency, outcome, effective) "
        "VALUES ($1, $2, $3, $4, $5, $6, 'GBP', $7, true)",
        operation,
        key,
        order["authorisation_key"],
        order["id"],
        f"sbx_mutant_{uuid.uuid4().hex}",
        amount,
        {"authorise": "authorised", "capture": "captured", "refund": "refunded"}[operation],
    )


async def test_two_authorisations_of_one_order_under_two_keys(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        order = await captured_order(conn, run.load)
        key = f"order-{order['id']}-authorise-again"
        await log_call(conn, order, "authorise", key, order["data"]["total"]["amount"])

    verdict = await run.judge(mutate)
    assert verdict.figures["double_authorisations"] == 1
    assert_reports(verdict, ["authorised more than once"])


async def test_a_second_capture(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        order = await captured_order(conn, run.load)
        await log_call(conn, order, "capture", f"order-{order['id']}-capture-2", 100)

    verdict = await run.judge(mutate)
    assert verdict.figures["double_captures"] == 1
    assert_reports(
        verdict,
        ["captured twice", "charged more than they owe"],
        ("more than was authorised", "the provider"),
    )


async def test_an_extra_refund(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        order = await captured_order(conn, run.load)
        await log_call(conn, order, "refund", f"refund-{uuid.uuid4()}", 100)

    verdict = await run.judge(mutate)
    assert verdict.figures["double_refunds"] == 1
    # The customer kept what they paid for, and holds 100 less of it: not what they kept.
    assert_reports(verdict, ["refunded twice", "the customer kept"], ("the provider",))


async def test_a_cancelled_order_never_refunded(run: Run) -> None:
    # Captured, then cancelled: its refund's call vanishes from the provider's log.
    async def mutate(conn: asyncpg.Connection) -> None:
        refund = await one(
            conn,
            "SELECT c.id FROM orders.sandbox_calls c JOIN orders.orders o ON o.id = c.order_id "
            "WHERE c.order_id = ANY($1) AND o.status = 'cancelled' AND c.operation = 'refund' "
            "AND c.effective LIMIT 1",
            run.load.order_ids(),
        )
        await conn.execute("SET LOCAL session_replication_role = replica")  # past append-only
        await conn.execute("DELETE FROM orders.sandbox_calls WHERE id = $1", refund["id"])
        await conn.execute("SET LOCAL session_replication_role = origin")

    verdict = await run.judge(mutate)
    assert verdict.figures["cancelled_but_still_charged"] == 1
    assert_reports(
        verdict,
        ["still hold the customer's money", "no call in its log"],
        ("the provider",),
    )


async def test_money_moved_without_a_call(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        capture = await one(
            conn,
            "SELECT k.reference FROM orders.sandbox_captures k "
            "JOIN orders.sandbox_authorisations a ON a.reference = k.authorisation_reference "
            "WHERE a.idempotency_key = ANY($1) AND k.outcome = 'captured' LIMIT 1",
            [f"order-{oid}-authorise" for oid in run.load.order_ids()],
        )
        await conn.execute(
            "INSERT INTO orders.sandbox_refunds (idempotency_key, capture_reference, amount, currency) "
            "VALUES ('unlogged', $1, 1, 'GBP')",
            capture["reference"],
        )

    verdict = await run.judge(mutate)
    assert verdict.figures["provider_records_without_a_call"] == 1
    assert_reports(verdict, ["no call in its log"])


# --- payouts -------------------------------------------------------------------------------------


async def test_a_transfer_paid_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        mo = await one(
            conn,
            "SELECT m.maker_id, l.net_amount FROM orders.maker_orders m "
            "JOIN orders.payout_ledger l ON l.maker_order_id = m.id "
            "WHERE m.order_id = ANY($1) AND m.status = 'delivered' LIMIT 1",
            run.load.order_ids(),
        )
        # The maker's earning paid by a payout, and then once more under another key.
        run_id, payout_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute("INSERT INTO orders.payout_runs (id) VALUES ($1)", run_id)
        await conn.execute(
            "INSERT INTO orders.payouts (id, run_id, maker_id, amount, currency, status, settled_at) "
            "VALUES ($1, $2, $3, $4, 'GBP', 'paid', now())",
            payout_id,
            run_id,
            mo["maker_id"],
            mo["net_amount"],
        )
        for key in (str(payout_id), f"{payout_id}-again"):
            await conn.execute(
                "INSERT INTO orders.sandbox_payouts (idempotency_key, maker_id, amount, currency, outcome, "
                "reference) VALUES ($1, $2, $3, 'GBP', 'paid', $4)",
                key,
                mo["maker_id"],
                mo["net_amount"],
                f"sbx_po_{uuid.uuid4().hex}",
            )

    verdict = await run.judge(mutate)
    assert verdict.figures["payouts_not_exactly_once"] == 1
    # The payout carried no ledger entry, so the maker's balance does not add up either.
    assert_reports(verdict, ["not paid exactly once"], ("maker ",))


# --- events --------------------------------------------------------------------------------------


async def test_an_event_a_consumer_never_applied(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        event = await one(
            conn,
            "SELECT o.event_id FROM orders.outbox o JOIN notifications.inbox i USING (event_id) "
            "WHERE o.routing_key = 'orders.order.confirmed.v1' AND o.aggregate_id = ANY($1) LIMIT 1",
            [str(oid) for oid in run.load.order_ids()],
        )
        # Published and acknowledged, and then gone: notifications never took it in. (What it
        # did with it goes too, or the oracle would see effects without their event.)
        for table in ("deliveries", "notifications", "inbox"):
            await conn.execute(f"DELETE FROM notifications.{table} WHERE event_id = $1", event["event_id"])

    verdict = await run.judge(mutate)
    assert verdict.figures["events_lost"] == 1
    assert_reports(verdict, ["1 orders events never reached notifications"])


async def test_an_effect_applied_without_its_event(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        delivery = await one(
            conn,
            "SELECT d.event_id FROM notifications.deliveries d JOIN orders.outbox o USING (event_id) "
            "WHERE o.aggregate_id = ANY($1) LIMIT 1",
            [str(oid) for oid in run.load.order_ids()],
        )
        await conn.execute("DELETE FROM notifications.inbox WHERE event_id = $1", delivery["event_id"])

    verdict = await run.judge(mutate)
    assert verdict.figures["effects_without_inbox"] >= 1
    assert_reports(verdict, ["not in notifications' inbox", "never reached notifications"])


async def test_an_email_owed_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        delivery = await one(
            conn,
            "SELECT d.id FROM notifications.deliveries d JOIN orders.outbox o USING (event_id) "
            "WHERE o.aggregate_id = ANY($1) LIMIT 1",
            [str(oid) for oid in run.load.order_ids()],
        )
        await conn.execute(
            "INSERT INTO notifications.deliveries SELECT (jsonb_populate_record(d, jsonb_build_object("
            "'id', gen_random_uuid(), 'kind', d.kind || '_again'))).* "
            "FROM notifications.deliveries d WHERE d.id = $1",
            delivery["id"],
        )

    verdict = await run.judge(mutate)
    assert verdict.figures["notifications_applied_twice"] == 1
    assert_reports(verdict, ["given two emails or notifications"])


def mail_for(delivery_id: uuid.UUID) -> Mail:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = "someone@example.com"
    message["Subject"] = "Your order"
    message["Message-ID"] = f"<{delivery_id}@example.com>"
    message.set_content("Thank you.")
    return Mail(["someone@example.com"], "shop@example.com", message)


async def test_an_email_the_smtp_server_received_twice(run: Run) -> None:
    async with run.pool.acquire() as conn:
        deliveries = await conn.fetch(
            "SELECT d.id, d.status FROM notifications.deliveries d JOIN orders.outbox o USING (event_id) "
            "WHERE o.aggregate_id = ANY($1)",
            [str(oid) for oid in run.load.order_ids()],
        )
    assert deliveries
    # The server's log as it should be: each email marked sent received once, and one more
    # received whatever its row says (a crash before marking it), when one is not marked yet.
    log = [mail_for(d["id"]) for d in deliveries if d["status"] == "sent"]
    extra = next((d for d in deliveries if d["status"] != "sent"), None)
    if extra is not None:
        log.append(mail_for(extra["id"]))
    honest = await run.judge(noop, mailbox=log)
    assert not honest.violations, honest.violations
    assert honest.figures["emails_received"] == len(log)

    target = extra or deliveries[0]
    twice = await run.judge(noop, mailbox=[*log, mail_for(target["id"])])
    assert twice.figures["emails_sent_twice"] == 1
    assert_reports(twice, ["received twice for one (event, recipient)"])

    # Marked sent, and the server never had it.
    victim = next(d for d in deliveries if d["id"] != target["id"])

    async def marked_sent(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE notifications.deliveries SET status = 'sent', sent_at = now() WHERE id = $1", victim["id"]
        )

    unsent = await run.judge(marked_sent, mailbox=[m for m in log if _delivery_id(m) != victim["id"]])
    assert unsent.figures["emails_marked_sent_not_received"] == 1
    assert_reports(unsent, ["never received"])


def _delivery_id(mail: Mail) -> uuid.UUID:
    return uuid.UUID(str(mail.message["Message-ID"]).strip("<>").partition("@")[0])


# --- stock and images ----------------------------------------------------------------------------


async def test_a_stock_move_applied_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "INSERT INTO catalogue.inventory_ledger SELECT (jsonb_populate_record(l, jsonb_build_object("
            "'id', (SELECT max(id) + 1 FROM catalogue.inventory_ledger)))).* "
            "FROM catalogue.inventory_ledger l WHERE l.order_id = ANY($1) AND l.reason = 'committed' "
            "ORDER BY l.id LIMIT 1",
            run.load.order_ids(),
        )

    verdict = await run.judge(mutate)
    assert verdict.figures["stock_moves_applied_twice"] == 1
    assert_reports(verdict, ["stock moved twice"], ("ledger", "units"))


async def test_an_image_processed_twice(run: Run) -> None:
    async def mutate(conn: asyncpg.Connection) -> None:
        image_id = uuid.UUID(run.makers[0].photo_id)
        event = await one(
            conn,
            "SELECT envelope FROM media.outbox WHERE aggregate_id = $1 "
            "AND routing_key = 'media.image.processed.v1'",
            str(image_id),
        )
        again = uuid.uuid4()
        envelope = {**event["envelope"], "event_id": str(again)}
        await conn.execute(
            "INSERT INTO media.outbox (event_id, routing_key, aggregate_id, envelope, sent_at) "
            "VALUES ($1, 'media.image.processed.v1', $2, $3, now())",
            again,
            str(image_id),
            envelope,
        )
        # ... and taken in by its consumers (catalogue, reviews): only the processing happened twice.
        for consumer in ("catalogue", "reviews"):
            await conn.execute(
                f"INSERT INTO {consumer}.inbox (event_id, event_type) VALUES ($1, 'media.image.processed')",
                again,
            )

    verdict = await run.judge(mutate)
    assert verdict.figures["images_not_processed_once"] == 1
    assert_reports(verdict, ["images not processed exactly once"])


async def test_mutations_leave_the_run_clean(run: Run) -> None:
    """Every mutation was rolled back: the run is judged as it was."""
    verdict = await run.judge(noop)
    assert not verdict.violations, verdict.violations
