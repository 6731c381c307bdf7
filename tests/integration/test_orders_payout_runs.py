"""Payout runs against the real orders process and `marketplace payout-run` processes, over the
real PostgreSQL: what a run pays, a second run and a retried request paying nothing twice, two
runs racing, runs SIGKILLed half way (between makers, and between claiming a payout and the
provider answering) then run again, the balance split and the statement.

Earnings are written straight into the orders schema (tests/support/payouts.py) with their
delivery days in the past, since a delivery cannot be dated back through the API."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.orders.app import SERVICE
from services.orders.settings import OrdersSettings
from shared.migrate import migrate
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import Api, key, running_orders
from tests.support.payouts import (
    Earning,
    earning,
    entries_paid_more_than_once,
    makers_not_adding_up,
    seed_earnings,
    transfers_match_payouts,
)
from tests.support.waits import blocked_by

pytestmark = pytest.mark.timeout(180)

RUNS = "/api/v1/payout-runs"
PAYOUTS = "/api/v1/payouts"
NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Environment]:
    environment = Environment(tmp_path_factory.mktemp("orders-payouts"))
    settings = environment.track(
        OrdersSettings(namespace=environment.namespace, pg_database=environment.database)
    )
    await migrate(settings, SERVICE.migrations)
    yield environment
    await environment.teardown()


@pytest.fixture(scope="module")
def orders(env: Environment) -> Iterator[ServiceProcess]:
    with running_orders(env, "orders-payouts") as process:
        yield process


@pytest.fixture
async def db(env: Environment) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{env.database}")
    # Each test starts from a ledger nobody has paid from, so a run's result is the test's own.
    await conn.execute(
        "TRUNCATE orders.payout_entries, orders.payouts, orders.payout_runs, orders.sandbox_payouts, "
        "orders.returns, orders.payout_ledger, orders.maker_orders, orders.orders CASCADE"
    )
    yield conn
    await conn.close()


@pytest.fixture
async def api(orders: ServiceProcess, env: Environment) -> AsyncIterator[Api]:
    issuer = env.token_issuer()
    async with aiohttp.ClientSession() as session:
        yield Api(session, orders.url, lambda role, user_id=None: issuer.issue(user_id or uuid.uuid4(), role))


def payout_run_process(env: Environment, name: str) -> ServiceProcess:
    """`marketplace payout-run` as a scheduler starts it (its own process)."""
    return ServiceProcess(["ops.cli", "payout-run"], "ORDERS_PORT", env.env, Path(env.workdir), name)


async def maker_user(db: asyncpg.Connection, api: Api, maker_id: uuid.UUID) -> str:
    """A token of the maker's user, known to orders' makers read model."""
    user_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO orders.makers (maker_id, user_id, maker_version, status, accepts_commissions, "
        "handle, display_name) VALUES ($1, $2, 1, 'approved', false, $3, 'Silver & Stone')",
        maker_id,
        user_id,
        f"maker-{user_id.hex[:10]}",
    )
    return api.mint("maker", user_id)


def makers(count: int) -> list[uuid.UUID]:
    """Maker ids in the order a run visits them."""
    return sorted(uuid.uuid4() for _ in range(count))


async def paid_entries(db: asyncpg.Connection) -> set[uuid.UUID]:
    rows = await db.fetch(
        "SELECT pe.ledger_entry_id FROM orders.payout_entries pe JOIN orders.payouts p "
        "ON p.id = pe.payout_id WHERE p.status = 'paid'"
    )
    return {row["ledger_entry_id"] for row in rows}


async def assert_paid_exactly(db: asyncpg.Connection, earnings: list[Earning]) -> None:
    assert await entries_paid_more_than_once(db) == 0
    assert await paid_entries(db) == {e.ledger_entry_id for e in earnings}
    assert await transfers_match_payouts(db)
    assert await db.fetchval("SELECT count(*) FROM orders.payouts WHERE status = 'pending'") == 0
    paid_per_maker = {
        row["maker_id"]: row["amount"]
        for row in await db.fetch(
            "SELECT maker_id, sum(amount) AS amount FROM orders.payouts WHERE status = 'paid' "
            "GROUP BY maker_id"
        )
    }
    expected: dict[uuid.UUID, int] = {}
    for e in earnings:
        expected[e.maker_id] = expected.get(e.maker_id, 0) + e.net
    assert paid_per_maker == expected


async def assert_every_maker_adds_up(db: asyncpg.Connection, api: Api, maker_ids: list[uuid.UUID]) -> None:
    """Σ payouts + available + pending = Σ ledger, as each maker's page shows it."""
    operator = api.mint("operator")
    for maker_id in maker_ids:
        view = await api.ok("GET", f"{PAYOUTS}?maker_id={maker_id}", operator)
        ledger = await db.fetchval(
            "SELECT coalesce(sum(net_amount), 0) FROM orders.payout_ledger WHERE maker_id = $1", maker_id
        )
        paid = sum(p["amount"]["amount"] for p in view["payouts"] if p["status"] == "paid")
        assert paid == view["paid"]["amount"]
        assert (
            paid + view["available"]["amount"] + view["pending"]["amount"]
            == ledger
            == view["balance"]["amount"]
        )


async def test_a_run_pays_available_balances_over_the_minimum_and_nothing_twice(
    db: asyncpg.Connection, api: Api
) -> None:
    ready, small, held, returning = makers(4)
    earnings = {
        "ready_old": earning(ready, 3000, NOW - 20 * DAY),
        "ready_day_15": earning(ready, 2000, NOW - 15 * DAY),
        "ready_day_13": earning(ready, 4000, NOW - 13 * DAY),
        "small": earning(small, 1000, NOW - 30 * DAY),  # net 850: under the minimum
        "held": earning(held, 9000, NOW - 10 * DAY),
        "returning": earning(returning, 6000, NOW - 20 * DAY),
    }
    await seed_earnings(db, list(earnings.values()))
    returned = earnings["returning"]
    await db.execute(
        "INSERT INTO orders.returns (id, order_id, maker_order_id, maker_id, customer_id, status, version, "
        "created_at, updated_at, data) SELECT gen_random_uuid(), order_id, id, maker_id, gen_random_uuid(), "
        "'requested', 1, now(), now(), '{}'::jsonb FROM orders.maker_orders WHERE id = $1",
        returned.maker_order_id,
    )
    operator = api.mint("operator")
    headers = key()

    first = await api.call("POST", RUNS, operator, headers=headers)
    assert first.status == 201, first.body
    expected_amount = earnings["ready_old"].net + earnings["ready_day_15"].net
    assert [(p["maker_id"], p["amount"], p["status"]) for p in first.body["payouts"]] == [
        (str(ready), {"amount": expected_amount, "currency": "GBP"}, "paid")
    ]
    [payout] = first.body["payouts"]

    # The same request again replays the answer; a new run finds nothing more to pay.
    replay = await api.call("POST", RUNS, operator, headers=headers)
    assert (replay.status, replay.body, replay.headers.get("Idempotent-Replayed")) == (
        201,
        first.body,
        "true",
    )
    assert (await api.ok("POST", RUNS, operator, status=201, headers=key()))["payouts"] == []
    assert await db.fetchval("SELECT count(*) FROM orders.sandbox_payouts") == 1
    assert await paid_entries(db) == {
        earnings["ready_old"].ledger_entry_id,
        earnings["ready_day_15"].ledger_entry_id,
    }

    # The maker sees what was paid, what is held and each line's state and reference.
    view = await api.ok("GET", PAYOUTS, await maker_user(db, api, ready))
    assert (view["pending"]["amount"], view["available"]["amount"], view["paid"]["amount"]) == (
        earnings["ready_day_13"].net,
        0,
        expected_amount,
    )
    assert [(p["id"], p["amount"]["amount"], p["status"]) for p in view["payouts"]] == [
        (payout["id"], expected_amount, "paid")
    ]
    assert view["payouts"][0]["paid_at"] is not None
    assert sorted(item["state"] for item in view["items"]) == ["paid", "paid", "pending"]
    maker_order_references = {
        row["id"]: row["reference"] for row in await db.fetch("SELECT id, reference FROM orders.maker_orders")
    }
    assert all(
        item["reference"] == maker_order_references[uuid.UUID(item["maker_order_id"])]
        for item in view["items"]
    )
    held_view = await api.ok("GET", f"{PAYOUTS}?maker_id={returning}", operator)
    assert (held_view["pending"]["amount"], held_view["available"]["amount"]) == (returned.net, 0)

    # The event went to the outbox once, with what was paid.
    envelopes = [
        row["envelope"]
        for row in await db.fetch("SELECT envelope FROM orders.outbox WHERE aggregate_id = $1", payout["id"])
    ]
    envelopes = [json.loads(e) if isinstance(e, str) else e for e in envelopes]
    assert [(e["type"], e["data"]["maker_id"], e["data"]["amount"]["amount"]) for e in envelopes] == [
        ("orders.payout.paid", str(ready), expected_amount)
    ]
    await assert_every_maker_adds_up(db, api, [ready, small, held, returning])


async def test_payout_runs_are_for_operators_and_need_an_idempotency_key(
    api: Api, db: asyncpg.Connection
) -> None:
    maker_id = makers(1)[0]
    await seed_earnings(db, [earning(maker_id, 5000, NOW - 20 * DAY)])
    assert (await api.call("POST", RUNS, await maker_user(db, api, maker_id), headers=key())).status == 403
    missing = await api.call("POST", RUNS, api.mint("operator"))
    assert (missing.status, missing.body["code"]) == (400, "idempotency_key_required")
    assert await db.fetchval("SELECT count(*) FROM orders.payouts") == 0


async def test_two_runs_racing_pay_each_entry_once(env: Environment, db: asyncpg.Connection) -> None:
    maker_ids = makers(12)
    earnings = [earning(m, 2000 + 100 * i, NOW - (15 + i) * DAY) for m in maker_ids for i in range(3)]
    await seed_earnings(db, earnings)
    # Both runs wait on the first maker's lock, then race through every maker at once.
    await db.execute(
        "SELECT pg_advisory_lock(hashtextextended('payouts:' || $1::uuid::text, 0))", maker_ids[0]
    )
    runs = [payout_run_process(env, f"payout-run-{i}").start(wait=False) for i in range(2)]
    holder = await db.fetchval("SELECT pg_backend_pid()")
    await eventually(
        lambda: _count(blocked_by(db, holder, "pg_advisory_xact_lock"), 2),
        message="both runs at the first maker",
    )
    await db.execute(
        "SELECT pg_advisory_unlock(hashtextextended('payouts:' || $1::uuid::text, 0))", maker_ids[0]
    )
    assert [run.wait_exit(60) for run in runs] == [0, 0], [run.logs()[-2000:] for run in runs]
    await assert_paid_exactly(db, earnings)
    assert await makers_not_adding_up(db, maker_ids, timedelta(days=14)) == []


async def _count(pids: Any, wanted: int) -> bool:
    return len(await pids) >= wanted


async def test_a_run_killed_half_way_and_run_again_pays_each_entry_once(
    env: Environment, db: asyncpg.Connection, api: Api
) -> None:
    maker_ids = makers(8)
    earnings = [earning(m, 3000, NOW - 20 * DAY) for m in maker_ids] + [
        earning(m, 1500, NOW - 16 * DAY) for m in maker_ids
    ]
    await seed_earnings(db, earnings)
    holder = await db.fetchval("SELECT pg_backend_pid()")

    # 1. Killed between makers: the first four are paid, the fifth is waiting for its lock.
    await db.execute(
        "SELECT pg_advisory_lock(hashtextextended('payouts:' || $1::uuid::text, 0))", maker_ids[4]
    )
    first = payout_run_process(env, "payout-run-killed-between").start(wait=False)
    await eventually(
        lambda: _count(blocked_by(db, holder, "pg_advisory_xact_lock"), 1), message="run at maker 5"
    )
    assert await db.fetchval("SELECT count(*) FROM orders.payouts WHERE status = 'paid'") == 4
    first.kill()
    await db.execute(
        "SELECT pg_advisory_unlock(hashtextextended('payouts:' || $1::uuid::text, 0))", maker_ids[4]
    )

    # 2. Killed after claiming the fifth maker's payout, while the provider is not answering.
    async with db.transaction():
        await db.execute("LOCK TABLE orders.sandbox_payouts IN SHARE ROW EXCLUSIVE MODE")
        second = payout_run_process(env, "payout-run-killed-sending").start(wait=False)
        await eventually(
            lambda: _count(blocked_by(db, holder, "sandbox_payouts"), 1), message="run at the provider"
        )
        [pending] = await db.fetch("SELECT maker_id FROM orders.payouts WHERE status = 'pending'")
        assert pending["maker_id"] == maker_ids[4]
        second.kill()

    # 3. Run again to the end: the pending payout is resumed, the rest paid, nothing twice.
    third = payout_run_process(env, "payout-run-again").start(wait=False)
    assert third.wait_exit(60) == 0, third.logs()[-2000:]
    await assert_paid_exactly(db, earnings)
    assert await db.fetchval("SELECT count(*) FROM orders.payouts") == len(maker_ids)
    await assert_every_maker_adds_up(db, api, maker_ids)
    assert await makers_not_adding_up(db, maker_ids, timedelta(days=14)) == []


async def test_the_statement_lists_each_ledger_entry_of_the_period(db: asyncpg.Connection, api: Api) -> None:
    maker_id = makers(1)[0]
    inside, outside = earning(maker_id, 12345, NOW - 3 * DAY), earning(maker_id, 5000, NOW - 40 * DAY)
    await seed_earnings(db, [inside, outside])
    await db.execute(
        "INSERT INTO orders.payout_ledger (id, maker_id, maker_order_id, kind, gross_amount, "
        "commission_amount, "
        "net_amount, currency, at) VALUES (gen_random_uuid(), $1, $2, 'reversal', $3, $4, $5, 'GBP', $6)",
        maker_id,
        inside.maker_order_id,
        -inside.gross,
        -inside.commission,
        -inside.net,
        NOW - 1 * DAY,
    )
    token = await maker_user(db, api, maker_id)
    start, end = (NOW - 7 * DAY).date().isoformat(), NOW.date().isoformat()
    async with api.session.get(
        f"{api.url}{PAYOUTS}/statement.csv?from={start}&to={end}",
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        rows = list(csv.reader(io.StringIO(await response.text())))
    reference = await db.fetchval(
        "SELECT reference FROM orders.maker_orders WHERE id = $1",
        inside.maker_order_id,
    )
    assert rows == [
        ["date", "reference", "kind", "gross", "commission", "net", "currency"],
        [(NOW - 3 * DAY).date().isoformat(), reference, "earning", "123.45", "18.51", "104.94", "GBP"],
        [(NOW - 1 * DAY).date().isoformat(), reference, "reversal", "-123.45", "-18.51", "-104.94", "GBP"],
    ]
    backwards = await api.call("GET", f"{PAYOUTS}/statement.csv?from={end}&to={start}", token)
    assert (backwards.status, backwards.body["code"]) == (422, "statement_range_invalid")
