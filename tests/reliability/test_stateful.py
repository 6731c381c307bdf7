"""A Hypothesis state machine over the public API, through the gateway: makers onboard and
publish, customers order from them, cancel, makers decline or fulfil, operators suspend and
reinstate makers, in whatever order Hypothesis picks. Whatever the sequence, once the
marketplace settles the oracle's invariants hold (nothing lost, oversold, charged or refunded
twice, every ledger adding up, every event delivered once).

The machine is synchronous (Hypothesis drives it); each rule runs its requests on an event loop
of the test's own, with its own HTTP session and database pool."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from tests.reliability.marketplace import (
    ADDRESS,
    FULL,
    PASSING_CHECKS,
    PROFILE,
    Attempt,
    Client,
    Load,
    Maker,
    Shop,
    Stack,
    Traffic,
    eventually,
    oracle,
    piece,
    settled,
    write_result,
)
from tests.support.harness import TestEnvironment, reads_jsonb

pytestmark = pytest.mark.timeout(600 if FULL else 240)

KINDS = {
    "short run": ({"kind": "ready_to_ship", "stock": 3}, 12500),
    "one-off": ({"kind": "one_of_a_kind"}, 45000),
    "made to order": ({"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 9}}, 30000),
}


class World:
    """What every machine shares: the loop, the HTTP session, the database, who is who."""

    def __init__(self, gateway_url: str, dsn: str, mint: Callable[..., str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.mint = mint
        self.run(self._open(gateway_url, dsn))
        self.traffic = Traffic()
        self.attempts: list[Attempt] = []
        self.customers: dict[uuid.UUID, str] = {}
        self.makers: list[Maker] = []
        self.sequences: list[list[str]] = []

    async def _open(self, gateway_url: str, dsn: str) -> None:
        self.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=3, init=reads_jsonb)
        self.session = aiohttp.ClientSession()
        self.shop = Shop(self.session, gateway_url, self.pool, self.mint)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.session.close())
        self.run(self.pool.close())
        self.loop.close()


WORLD: World | None = None


class Marketplace(RuleBasedStateMachine):
    makers = Bundle("makers")
    listings = Bundle("listings")
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        assert WORLD is not None
        self.world = WORLD
        self.steps: list[str] = []
        self.suspended: set[str] = set()
        self.own_makers = 0
        self.world.sequences.append(self.steps)

    def _call(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        client = Client(self.world.session, self.world.shop.gateway_url, self.world.traffic)
        return self.world.run(
            client.retrying(method, path, token, json_body=body, headers=headers, deadline_s=30)
        )

    def _onboard(self) -> Maker:
        maker = self.world.run(self.world.shop.maker())
        self.world.makers.append(maker)
        self.own_makers += 1
        self.steps.append("new_maker")
        return maker

    @initialize(target=makers)
    def first_maker(self) -> Maker:
        return self._onboard()

    @precondition(lambda self: self.own_makers < 3)
    @rule(target=makers)
    def new_maker(self) -> Maker:
        return self._onboard()

    @rule(target=listings, maker=makers, kind=st.sampled_from(sorted(KINDS)))
    def new_listing(self, maker: Maker, kind: str) -> dict[str, Any]:
        production, price = KINDS[kind]
        self.steps.append(f"new_listing({kind})")
        if maker.id in self.suspended:
            status, _ = self._call("POST", "/api/v1/listings", maker.token, piece(production, price))
            assert status == 403, status  # a suspended maker publishes nothing
            return (
                maker.listings[0]
                if maker.listings
                else self.world.run(self._listing_after_reinstating(maker, production, price))
            )
        return self.world.run(self.world.shop.listing(maker, piece(production, price)))

    async def _listing_after_reinstating(
        self, maker: Maker, production: dict[str, Any], price: int
    ) -> dict[str, Any]:
        await self.world.shop.ok(
            "POST", f"/api/v1/makers/{maker.id}/reinstate", self.world.shop.operator_token
        )
        self.suspended.discard(maker.id)
        # shop.listing retries the 403 until catalogue has heard of the reinstatement.
        return await self.world.shop.listing(maker, piece(production, price))

    @rule(
        target=orders,
        chosen=st.lists(listings, min_size=1, max_size=3, unique_by=lambda listing: listing["id"]),
        quantity=st.integers(1, 2),
        payment=st.sampled_from(["tok_visa", "tok_visa", "tok_declined", "tok_error"]),
    )
    def place_order(self, chosen: list[dict[str, Any]], quantity: int, payment: str) -> dict[str, Any]:
        user_id = uuid.uuid4()
        token = self.world.mint("customer", user_id)
        self.world.customers[user_id] = token
        key = f"sm-{uuid.uuid4()}"
        body = {
            "lines": [
                {
                    "listing_id": listing["id"],
                    "quantity": 1 if listing["production"]["kind"] == "one_of_a_kind" else quantity,
                    "options": {"ring_size_mm": 52},
                }
                for listing in chosen
            ],
            "shipping_address": ADDRESS,
            "payment": {"token": payment},
        }
        started = time.monotonic()
        status, answer = self._call("POST", "/api/v1/orders", token, body, {"Idempotency-Key": key})
        assert status in (201, 422), (status, answer)
        code = None if status == 201 else (answer.get("errors") or [{}])[0].get("code")
        self.world.attempts.append(
            Attempt(
                user_id,
                key,
                status,
                answer.get("id") if status == 201 else None,
                code,
                time.monotonic() - started,
            )
        )
        # The same key again replays a placed order's answer and creates nothing. A refusal is
        # not stored (the same key may be used again once its cause is gone): the second request
        # is a checkout of its own, and places the order if the listing became available
        # meanwhile (orders learning of it from catalogue's events), so it is recorded as one.
        again, replay = self._call("POST", "/api/v1/orders", token, body, {"Idempotency-Key": key})
        if status == 201:
            assert (again, replay["id"]) == (201, answer["id"])
        else:
            assert again in (201, 422), (again, replay)
            if again == 201:
                status, answer = again, replay
                self.world.attempts.append(
                    Attempt(user_id, key, status, answer["id"], None, time.monotonic() - started)
                )
        self.steps.append(f"place_order({len(chosen)} lines, {payment}) -> {status}")
        return {"id": answer.get("id"), "token": token, "placed": status == 201}

    # Orders are what the invariants are about: a second rule doubles how often one is placed.
    @rule(
        target=orders,
        chosen=st.lists(listings, min_size=1, max_size=3, unique_by=lambda listing: listing["id"]),
        quantity=st.integers(1, 2),
        payment=st.sampled_from(["tok_visa", "tok_visa", "tok_declined", "tok_error"]),
    )
    def place_another_order(
        self, chosen: list[dict[str, Any]], quantity: int, payment: str
    ) -> dict[str, Any]:
        return self.place_order(chosen, quantity, payment)

    def _settled_order(self, order: dict[str, Any]) -> dict[str, Any] | None:
        if not order["placed"]:
            return None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, current = self._call("GET", f"/api/v1/orders/{order['id']}", order["token"])
            assert status == 200
            if current["status"] != "pending":
                return current
            time.sleep(0.1)
        raise AssertionError(f"order {order['id']} still pending")

    @rule(order=orders)
    def cancel(self, order: dict[str, Any]) -> None:
        current = self._settled_order(order)
        if current is None:
            return
        status, answer = self._call("POST", f"/api/v1/orders/{order['id']}/cancel", order["token"])
        dispatched = any(mo["status"] in ("dispatched", "delivered") for mo in current["maker_orders"])
        if current["status"] in ("pending", "confirmed") and not dispatched:
            assert status == 200 and answer["status"] == "cancelled", (status, answer)
        elif current["status"] == "cancelled" and current["cancellation_reason"] == "customer_cancelled":
            assert status == 200  # cancelling twice changes nothing
        else:
            assert status == 409, (current["status"], status, answer)
        self.steps.append(f"cancel -> {status}")

    def _maker_token(self, maker_id: str) -> str:
        return next(m.token for m in self.world.makers if m.id == maker_id)

    @rule(order=orders, decline=st.booleans())
    def fulfil_or_decline(self, order: dict[str, Any], decline: bool) -> None:
        current = self._settled_order(order)
        if current is None or current["status"] != "confirmed":
            return
        for part in current["maker_orders"]:
            if part["status"] != "awaiting_acceptance":
                continue
            token = self._maker_token(part["maker_id"])
            path = f"/api/v1/maker-orders/{part['id']}"
            if decline:
                status, _ = self._call("POST", f"{path}/decline", token, {"reason": "Cannot make it"})
                assert status == 200
                self.steps.append("decline")
                return
            for step, who, body in (
                ("accept", token, None),
                (
                    "quality-check",
                    token,
                    {"passed": True, "checks": {**PASSING_CHECKS, "measured_ring_size_mm": 52}},
                ),
                ("dispatch", token, {"carrier": "Royal Mail", "tracking_number": "RM9"}),
                ("deliver", self.world.shop.operator_token, None),
            ):
                status, answer = self._call("POST", f"{path}/{step}", who, body)
                assert status == 200, (step, status, answer)
            self.steps.append("fulfil")
            return

    @rule(maker=makers, now=st.sampled_from([False, False, False, True]))
    def suspend_or_reinstate(self, maker: Maker, now: bool) -> None:
        if not now:
            return  # about one time in four: operators act rarely next to customers
        operator = self.world.shop.operator_token
        if maker.id in self.suspended:
            status, answer = self._call("POST", f"/api/v1/makers/{maker.id}/reinstate", operator)
            self.suspended.discard(maker.id)
            self.steps.append("reinstate")
        else:
            status, answer = self._call(
                "POST", f"/api/v1/makers/{maker.id}/suspend", operator, {"reason": "Hallmark query"}
            )
            self.suspended.add(maker.id)
            self.steps.append("suspend")
        assert status == 200, (status, answer)
        self._known_everywhere(maker.id, answer["status"])

    def _known_everywhere(self, maker_id: str, status: str) -> None:
        """Catalogue and orders learn a maker's standing from events: wait until both have."""

        async def known() -> bool:
            return await self.world.pool.fetchval(
                "SELECT (SELECT status FROM catalogue.makers WHERE id = $1) = $2 "
                "AND (SELECT status FROM orders.makers WHERE maker_id = $1) = $2",
                uuid.UUID(maker_id),
                status,
            )

        self.world.run(eventually(known, timeout_s=30, message=f"maker {status} everywhere"))

    def teardown(self) -> None:
        """Every maker back on sale, for the next sequence and the oracle."""
        for maker_id in list(self.suspended):
            self._call("POST", f"/api/v1/makers/{maker_id}/reinstate", self.world.shop.operator_token)
            self._known_everywhere(maker_id, "approved")


def test_any_sequence_of_actions_keeps_the_invariants(
    stack: Stack, test_env: TestEnvironment, services_db: dict, mint: Callable[..., str]
) -> None:
    global WORLD
    WORLD = World(stack.url("gateway"), f"postgresql://postgres@127.0.0.1:5432/{test_env.database}", mint)
    started = time.monotonic()
    try:
        # Not shrunk: the oracle below judges everything every example did, at the end.
        Marketplace.TestCase.settings = settings(
            max_examples=12 if FULL else 3,
            stateful_step_count=40 if FULL else 20,
            deadline=None,
            derandomize=not FULL,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[p for p in __import__("hypothesis").Phase if p.name in ("explicit", "generate")],
        )
        Marketplace.TestCase().runTest()
        world = WORLD
        load = Load(world.shop, world.makers, PROFILE)
        load.attempts, load.customers, load.traffic = world.attempts, world.customers, world.traffic
        load.started, load.finished = started, time.monotonic()
        order_ids = load.order_ids()
        settle_s = world.run(settled(world.pool, order_ids, PROFILE.settle_s))
        verdict = world.run(oracle(world.pool, load, world.makers, services_db))
        result = write_result(
            "stateful_api",
            "Hypothesis state machine over the public API",
            PROFILE,
            [],  # no fault is injected: the sequences are the whole test
            load,
            verdict,
            {
                "sequences": f"{len(world.sequences)} generated sequences of "
                f"{sum(map(len, world.sequences))} actions",
                "settle_seconds": round(settle_s, 1),
                "actions": dict(
                    __import__("collections").Counter(
                        step.split("(")[0].split(" ->")[0] for seq in world.sequences for step in seq
                    )
                ),
            },
        )
        print(f"\nstateful: {result['result']} {result['actions']} states={result['order_states']}")
        assert not verdict.violations, verdict.violations
    finally:
        WORLD.close()
        WORLD = None
