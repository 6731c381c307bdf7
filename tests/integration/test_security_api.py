"""The public API's security through the gateway, with every service running: who may touch
which object (two makers, two customers, an operator, anonymous, over every endpoint that takes
an id), mass assignment on every write, token attacks, role escalation, rate limits and hostile
input (oversized and deeply nested bodies, overlong strings, NUL and unpaired surrogates, SQL
metacharacters, forged cursors on every list). Whatever is sent: never a 5xx, every error is
application/problem+json, and a refused write changes nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.reliability.marketplace import (
    ADDRESS,
    PASSING_CHECKS,
    Client,
    Maker,
    Shop,
    Stack,
    Traffic,
    eventually,
    piece,
)
from tests.support.gateway_stack import confirmed_order, delivered, pg, stack  # noqa: F401 (fixtures)
from tests.support.harness import TestEnvironment

pytestmark = pytest.mark.timeout(240)

PROBLEM = "application/problem+json"


@dataclass
class World:
    """Two makers with a listing each (and A a draft), a maker still in draft, two customers
    with a confirmed order each, a commission, an operator and nobody."""

    shop: Shop
    client: Client
    maker_a: Maker
    maker_b: Maker
    maker_c_id: str
    maker_c: str
    customer_x: str
    customer_y: str
    operator: str
    listing_a: dict[str, Any]
    draft_a: dict[str, Any]
    listing_b: dict[str, Any]
    order_x: dict[str, Any]
    order_y: dict[str, Any]
    commission_x: dict[str, Any]
    # Customer X's conversation with maker A about order X.
    conversation_x: dict[str, Any] = field(default_factory=dict)
    # Customer Y's review of maker B's piece (order Y, delivered).
    review_y: dict[str, Any] = field(default_factory=dict)

    def token(self, who: str) -> str | None:
        return {
            "maker_a": self.maker_a.token,
            "maker_b": self.maker_b.token,
            "maker_c": self.maker_c,
            "customer_x": self.customer_x,
            "customer_y": self.customer_y,
            "operator": self.operator,
            "anonymous": None,
        }[who]

    async def call(
        self,
        method: str,
        path: str,
        who: str | None = None,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        """One request from a fresh client address; asserts the error contract."""
        client = Client(self.shop.session, self.shop.gateway_url, self.shop.traffic)
        headers = {"X-Forwarded-For": client.address, **(headers or {})}
        bearer = token if token is not None else (self.token(who) if who else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        if raw is not None:
            headers.setdefault("Content-Type", "application/json")
        async with self.shop.session.request(
            method, self.shop.gateway_url + path, headers=headers, **kwargs
        ) as r:
            content = await r.read()
            assert r.status < 500, (method, path, who, r.status, content[:500])
            if r.status >= 400:
                assert r.content_type == PROBLEM, (method, path, r.status, r.content_type, content[:300])
                problem = json.loads(content)
                assert {"type", "title", "status"} <= set(problem) and problem["status"] == r.status
                assert "Traceback" not in content.decode(errors="replace")
            return r.status, (json.loads(content) if content and r.content_type.endswith("json") else content)


@pytest.fixture(scope="module")
async def world(stack: Stack, pg: asyncpg.Pool, mint: Callable[..., str]) -> AsyncIterator[World]:
    async with aiohttp.ClientSession() as session:
        shop = Shop(session, stack.url("gateway"), pg, mint, Traffic())
        maker_a, maker_b = await shop.maker(), await shop.maker()
        listing_a = await shop.listing(maker_a, piece({"kind": "ready_to_ship", "stock": 20}))
        listing_b = await shop.listing(maker_b, piece({"kind": "ready_to_ship", "stock": 20}))
        draft_a = await shop.ok(
            "POST",
            "/api/v1/listings",
            maker_a.token,
            piece({"kind": "ready_to_ship", "stock": 1}, title="A draft ring"),
            status=201,
        )
        maker_c = mint("maker", uuid.uuid4())
        record_c = await shop.ok(
            "POST",
            "/api/v1/makers",
            maker_c,
            {"handle": f"draft-{uuid.uuid4().hex[:8]}", "display_name": "Draft"},
            status=201,
        )
        customer_x, customer_y = mint("customer", uuid.uuid4()), mint("customer", uuid.uuid4())

        order_x = await confirmed_order(shop, customer_x, listing_a)
        order_y = await confirmed_order(shop, customer_y, listing_b)
        commission_x = await shop.ok(
            "POST",
            "/api/v1/commissions",
            customer_x,
            {
                "maker_id": maker_a.id,
                "brief": "A wedding band",
                "deadline": "2099-01-01",
                "budget": {"amount": 50000, "currency": "GBP"},
            },
            status=201,
        )
        conversation_x = await shop.ok(
            "POST",
            "/api/v1/conversations",
            customer_x,
            {"order_id": order_x["id"], "body": "When will my ring be ready?"},
            status=201,
        )
        [mo_y] = order_y["maker_orders"]
        await delivered(shop, maker_b.token, mo_y["id"])
        review = {"maker_order_id": mo_y["id"], "listing_id": listing_b["id"], "rating": 4, "title": "Good"}

        async def reviewed() -> Any:
            async with session.post(
                f"{shop.gateway_url}/api/v1/reviews",
                json=review,
                headers={"Authorization": f"Bearer {customer_y}", "X-Forwarded-For": "10.9.9.9"},
            ) as r:
                return await r.json() if r.status == 201 else None

        review_y = await eventually(reviewed, message="reviews learnt order Y was delivered")
        yield World(
            shop,
            shop.admin,
            maker_a,
            maker_b,
            record_c["id"],
            maker_c,
            customer_x,
            customer_y,
            shop.operator_token,
            listing_a,
            draft_a,
            listing_b,
            order_x,
            order_y,
            commission_x,
            conversation_x=conversation_x,
            review_y=review_y,
        )


ACTORS = ("maker_a", "maker_b", "maker_c", "customer_x", "customer_y", "operator", "anonymous")


# --- the object-level authorisation matrix -----------------------------------------------------------

# (method, path template, body, who may, expected answer to everyone else by role).
# Templates name the object: {mo_a} is maker A's part of customer X's order, and so on.
# "may" actors are not called for writes (that would change the world under the others); the
# functional suites cover what they may do. Denials: 401 anonymous, 403 wrong role, 404 someone
# else's object (never revealing it exists).


def _deny(roles: tuple[str, ...], may: tuple[str, ...], public_get: bool = False) -> dict[str, int]:
    answers = {}
    for actor in ACTORS:
        if actor in may:
            continue
        role = actor.split("_")[0]
        if actor == "anonymous":
            answers[actor] = 404 if public_get else 401
        elif roles and role not in roles:
            answers[actor] = 403
        else:
            answers[actor] = 404
    return answers


MATRIX: list[tuple[str, str, Any, tuple[str, ...], tuple[str, ...], bool]] = [
    # method, path, body, roles allowed, actors who may, public GET
    ("PUT", "/api/v1/me/favourites/{listing_a}", None, ("customer",), ("customer_x", "customer_y"), False),
    ("DELETE", "/api/v1/me/favourites/{listing_a}", None, ("customer",), ("customer_x", "customer_y"), False),
    ("PUT", "/api/v1/me/favourites/{draft_a}", None, ("customer",), (), False),
    ("GET", "/api/v1/me/favourites", None, ("customer",), ("customer_x", "customer_y"), False),
    ("GET", "/api/v1/makers/{maker_c}", None, (), ("maker_c", "operator"), True),
    ("PATCH", "/api/v1/makers/{maker_c}", {"bio": "Mine now"}, ("maker",), ("maker_c",), False),
    ("POST", "/api/v1/makers/{maker_c}/submit", None, ("maker",), ("maker_c",), False),
    (
        "POST",
        "/api/v1/makers/{maker_c}/review",
        {"decision": "approve", "note": None},
        ("operator",),
        ("operator",),
        False,
    ),
    ("POST", "/api/v1/makers/{maker_a}/suspend", {"reason": "x"}, ("operator",), ("operator",), False),
    ("POST", "/api/v1/makers/{maker_a}/reinstate", None, ("operator",), ("operator",), False),
    ("GET", "/api/v1/listings/{draft_a}", None, (), ("maker_a", "operator"), True),
    ("PATCH", "/api/v1/listings/{listing_a}", {"title": "Taken over"}, ("maker",), ("maker_a",), False),
    ("POST", "/api/v1/listings/{draft_a}/publish", None, ("maker",), ("maker_a",), False),
    ("POST", "/api/v1/listings/{listing_a}/pause", None, ("maker",), ("maker_a",), False),
    ("POST", "/api/v1/listings/{listing_a}/archive", None, ("maker",), ("maker_a",), False),
    ("GET", "/api/v1/orders/{order_x}", None, ("customer", "operator"), ("customer_x", "operator"), False),
    ("POST", "/api/v1/orders/{order_x}/cancel", None, ("customer",), ("customer_x",), False),
    ("GET", "/api/v1/maker-orders/{mo_a}", None, ("maker", "operator"), ("maker_a", "operator"), False),
    ("POST", "/api/v1/maker-orders/{mo_a}/accept", None, ("maker",), ("maker_a",), False),
    ("POST", "/api/v1/maker-orders/{mo_a}/decline", {"reason": "no"}, ("maker",), ("maker_a",), False),
    (
        "POST",
        "/api/v1/maker-orders/{mo_a}/quality-check",
        {"passed": True, "checks": {**PASSING_CHECKS, "measured_ring_size_mm": 52}},
        ("maker",),
        ("maker_a",),
        False,
    ),
    (
        "POST",
        "/api/v1/maker-orders/{mo_a}/dispatch",
        {"carrier": "RM", "tracking_number": "1"},
        ("maker",),
        ("maker_a",),
        False,
    ),
    ("POST", "/api/v1/maker-orders/{mo_a}/deliver", None, ("operator",), ("operator",), False),
    ("POST", "/api/v1/maker-orders/{mo_a}/refund", {"reason": "x"}, ("operator",), ("operator",), False),
    ("GET", "/api/v1/commissions/{commission_x}", None, (), ("customer_x", "maker_a", "operator"), False),
    (
        "POST",
        "/api/v1/commissions/{commission_x}/quote",
        {"price": {"amount": 40000, "currency": "GBP"}, "lead_time_days": 20, "description": "x"},
        ("maker",),
        ("maker_a",),
        False,
    ),
    ("POST", "/api/v1/commissions/{commission_x}/decline", None, ("maker",), ("maker_a",), False),
    ("POST", "/api/v1/commissions/{commission_x}/withdraw", None, ("customer",), ("customer_x",), False),
    (
        "POST",
        "/api/v1/commissions/{commission_x}/accept",
        {"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}},
        ("customer",),
        ("customer_x",),
        False,
    ),
    # Only its customer and maker read a conversation, and operators; only the two write.
    (
        "GET",
        "/api/v1/conversations/{conversation_x}",
        None,
        ("customer", "maker", "operator"),
        ("customer_x", "maker_a", "operator"),
        False,
    ),
    (
        "POST",
        "/api/v1/conversations/{conversation_x}/messages",
        {"body": "Let me in"},
        ("customer", "maker"),
        ("customer_x", "maker_a"),
        False,
    ),
    # Anyone reads a visible review; only its maker replies, operators hide, anyone signed in reports.
    ("GET", "/api/v1/reviews/{review_y}", None, (), ACTORS, True),
    ("POST", "/api/v1/reviews/{review_y}/reply", {"body": "Thanks"}, ("maker",), ("maker_b",), False),
    ("POST", "/api/v1/reviews/{review_y}/hide", {"reason": "x"}, ("operator",), ("operator",), False),
    ("POST", "/api/v1/reviews/{review_y}/report", {"reason": "x"}, (), ACTORS[:-1], False),
    ("GET", "/api/v1/reviews/reported", None, ("operator",), ("operator",), False),
]


def _ids(world: World) -> dict[str, str]:
    [mo_a] = world.order_x["maker_orders"]
    return {
        "maker_a": world.maker_a.id,
        "maker_c": world.maker_c_id,
        "listing_a": world.listing_a["id"],
        "draft_a": world.draft_a["id"],
        "order_x": world.order_x["id"],
        "mo_a": mo_a["id"],
        "commission_x": world.commission_x["id"],
        "conversation_x": world.conversation_x["id"],
        "review_y": world.review_y["id"],
    }


async def _snapshot(world: World) -> dict[str, Any]:
    """Every object of the matrix as the operator (or its owner) sees it."""
    ids = _ids(world)
    op = world.operator
    views = {
        "maker_a": ("GET", f"/api/v1/makers/{ids['maker_a']}", op),
        "maker_c": ("GET", f"/api/v1/makers/{ids['maker_c']}", op),
        "listing_a": ("GET", f"/api/v1/listings/{ids['listing_a']}", world.maker_a.token),
        "draft_a": ("GET", f"/api/v1/listings/{ids['draft_a']}", world.maker_a.token),
        "order_x": ("GET", f"/api/v1/orders/{ids['order_x']}", op),
        "mo_a": ("GET", f"/api/v1/maker-orders/{ids['mo_a']}", op),
        "commission_x": ("GET", f"/api/v1/commissions/{ids['commission_x']}", op),
        "conversation_x": ("GET", f"/api/v1/conversations/{ids['conversation_x']}", op),
        "review_y": ("GET", f"/api/v1/reviews/{ids['review_y']}", op),
    }
    found = {}
    for name, (method, path, token) in views.items():
        status, body = await world.call(method, path, token=token)
        assert status == 200, (name, status, body)
        found[name] = (body.get("status"), body.get("version"), body.get("reply"))
    return found


async def test_object_level_authorisation_matrix(world: World) -> None:
    before = await _snapshot(world)
    ids = _ids(world)
    refused = []
    for method, template, body, roles, may, public_get in MATRIX:
        path = template.format(**ids)
        for actor, expected in _deny(roles, may, public_get).items():
            status, answer = await world.call(
                method, path, actor, body=body, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            if status != expected:
                refused.append((method, template, actor, expected, status, (answer or {}).get("code")))
        if method == "GET":
            for actor in may:
                status, _ = await world.call(method, path, actor)
                assert status == 200, (template, actor, status)
    assert refused == [], refused
    assert sum(len(_deny(r, m, g)) for _, _, _, r, m, g in MATRIX) > 120  # the matrix is whole
    assert await _snapshot(world) == before, "a refused request changed something"


async def test_lists_show_only_what_is_the_callers(world: World) -> None:
    _, x_orders = await world.call("GET", "/api/v1/orders", "customer_x")
    assert {o["id"] for o in x_orders["items"]} == {world.order_x["id"]}
    _, a_parts = await world.call("GET", "/api/v1/maker-orders", "maker_a")
    assert {p["order_id"] for p in a_parts["items"]} == {world.order_x["id"]}
    # A customer never sees another's conversation, nor opens one about another's order or
    # commission (refused exactly as one that does not exist).
    conversation = world.conversation_x["id"]
    for who in ("customer_x", "maker_a", "operator"):
        _, listed = await world.call("GET", "/api/v1/conversations", who)
        assert conversation in {c["id"] for c in listed["items"]}, who
    for who in ("customer_y", "maker_b", "maker_c"):
        _, listed = await world.call("GET", "/api/v1/conversations", who)
        assert conversation not in {c["id"] for c in listed["items"]}, who
    for body, code in (
        ({"order_id": world.order_x["id"]}, "order_not_found"),
        ({"order_id": str(uuid.uuid4())}, "order_not_found"),
        ({"commission_id": world.commission_x["id"]}, "commission_not_found"),
        ({"commission_id": str(uuid.uuid4())}, "commission_not_found"),
    ):
        status, answer = await world.call(
            "POST", "/api/v1/conversations", "customer_y", body={**body, "body": "Hi"}
        )
        assert (status, answer["code"]) == (422, code), (body, status, answer)
    # Only the buyer of a delivered piece reviews it: anyone else is refused (403), the buyer
    # again is a conflict, and which pieces may be reviewed is told to the buyer alone.
    [mo_y] = world.order_y["maker_orders"]
    review = {"maker_order_id": mo_y["id"], "listing_id": world.listing_b["id"], "rating": 1, "title": "x"}
    for who, expected in (("customer_x", 403), ("maker_b", 403), ("operator", 403), ("anonymous", 401)):
        status, answer = await world.call("POST", "/api/v1/reviews", who, body=review)
        assert status == expected, (who, status, answer)
    status, answer = await world.call("POST", "/api/v1/reviews", "customer_y", body=review)
    assert status == 409 and answer["code"] == "already_reviewed"
    reviewable = f"/api/v1/reviews/reviewable?maker_order_id={mo_y['id']}"
    _, x_reviewable = await world.call("GET", reviewable, "customer_x")
    assert x_reviewable["items"] == []
    _, y_reviewable = await world.call("GET", reviewable, "customer_y")
    assert [item["review_id"] for item in y_reviewable["items"]] == [world.review_y["id"]]
    _, x_reviews = await world.call("GET", "/api/v1/reviews/mine", "customer_x")
    assert x_reviews["items"] == []
    _, y_commissions = await world.call("GET", "/api/v1/commissions", "customer_y")
    assert y_commissions["items"] == []
    _, b_commissions = await world.call("GET", "/api/v1/commissions", "maker_b")
    assert b_commissions["items"] == []
    # A maker naming another maker's ledger still gets their own.
    status, ledger = await world.call("GET", f"/api/v1/payouts?maker_id={world.maker_a.id}", "maker_b")
    # (B's own: the earning of order Y's parcel, delivered for its review, and nothing of A's.)
    own = {part["id"] for part in world.order_y["maker_orders"]}
    assert status == 200 and {entry["maker_order_id"] for entry in ledger["items"]} <= own
    # Favourites are the customer's own: X's is never in Y's list, Y letting go of the same
    # listing lets go of nothing of X's, and only X sees the listing as theirs.
    favourite = f"/api/v1/me/favourites/{world.listing_a['id']}"
    assert (await world.call("PUT", favourite, "customer_x"))[0] == 204
    assert (await world.call("DELETE", favourite, "customer_y"))[0] == 204
    _, x_favourites = await world.call("GET", "/api/v1/me/favourites", "customer_x")
    assert [item["id"] for item in x_favourites["items"]] == [world.listing_a["id"]]
    _, y_favourites = await world.call("GET", "/api/v1/me/favourites", "customer_y")
    assert y_favourites["items"] == []
    for who, mark in (("customer_x", True), ("customer_y", False), ("maker_a", None), ("anonymous", None)):
        _, seen = await world.call("GET", f"/api/v1/listings/{world.listing_a['id']}", who)
        assert (seen["favourited"], seen["favourite_count"]) == (mark, 1), who
    assert (await world.call("DELETE", favourite, "customer_x"))[0] == 204
    # Mine is mine: maker B's own listings never include A's.
    _, mine = await world.call("GET", "/api/v1/listings/mine", "maker_b")
    assert {item["id"] for item in mine["items"]} == {world.listing_b["id"]}
    # Customers' and the anonymous directory never list a maker in draft.
    _, directory = await world.call("GET", "/api/v1/makers?limit=100", "anonymous")
    assert world.maker_c_id not in {m["id"] for m in directory["items"]}
    for who in ("anonymous", "customer_x", "maker_a"):
        status, _ = await world.call("GET", "/api/v1/makers?status=draft", who)
        assert status == (401 if who == "anonymous" else 403)
    for who, expected in (("customer_x", 200), ("maker_a", 403), ("anonymous", 401)):
        status, _ = await world.call("GET", "/api/v1/orders", who)
        assert status == expected, (who, status)


# --- mass assignment ----------------------------------------------------------------------------------


def _order_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"listing_id": world.listing_b["id"], "quantity": 1, "options": {"ring_size_mm": 52}}],
        "shipping_address": ADDRESS,
        "payment": {"token": "tok_visa"},
        **extra,
    }


def _mass_assignments(world: World) -> list[tuple[str, str, str, dict[str, Any]]]:
    ids = _ids(world)
    order = _order_body(world)
    line = order["lines"][0]
    cases: list[tuple[str, str, str, dict[str, Any]]] = []
    for field_name, value in (
        ("status", "confirmed"),
        ("customer_id", str(uuid.uuid4())),
        ("total", {"amount": 1, "currency": "GBP"}),
        ("id", str(uuid.uuid4())),
        ("payment_status", "authorised"),
        ("maker_orders", []),
    ):
        cases.append(("customer_y", "POST", "/api/v1/orders", {**order, field_name: value}))
    for field_name, value in (
        ("unit_price", {"amount": 1, "currency": "GBP"}),
        ("maker_id", ids["maker_a"]),
        ("line_total", {"amount": 1, "currency": "GBP"}),
        ("title", "Cheap"),
    ):
        cases.append(
            ("customer_y", "POST", "/api/v1/orders", {**order, "lines": [{**line, field_name: value}]})
        )
    cases.append(
        (
            "customer_y",
            "POST",
            "/api/v1/orders",
            {**order, "payment": {"token": "tok_visa", "status": "authorised"}},
        )
    )
    for field_name, value in (
        ("status", "approved"),
        ("user_id", str(uuid.uuid4())),
        ("id", str(uuid.uuid4())),
        ("checklist", []),
        ("history", []),
        ("version", 99),
    ):
        cases.append(
            ("maker_c", "PATCH", f"/api/v1/makers/{ids['maker_c']}", {"bio": "x", field_name: value})
        )
    for field_name, value in (
        ("status", "published"),
        ("maker_id", ids["maker_a"]),
        ("id", str(uuid.uuid4())),
        ("stock", {"available": 999}),
        ("availability", "in_stock"),
        ("version", 1),
        ("stock_sold", 0),
    ):
        cases.append(
            ("maker_a", "PATCH", f"/api/v1/listings/{ids['draft_a']}", {"title": "New", field_name: value})
        )
        cases.append(
            (
                "maker_b",
                "POST",
                "/api/v1/listings",
                {**piece({"kind": "ready_to_ship", "stock": 1}), field_name: value},
            )
        )
    for field_name, value in (("status", "approved"), ("user_id", str(uuid.uuid4())), ("role", "operator")):
        cases.append(
            (
                "maker_b",
                "POST",
                "/api/v1/makers",
                {"handle": f"h-{uuid.uuid4().hex[:8]}", "display_name": "X", field_name: value},
            )
        )
    mo = f"/api/v1/maker-orders/{ids['mo_a']}"
    cases += [
        ("maker_a", "POST", f"{mo}/decline", {"reason": "x", "status": "cancelled"}),
        (
            "maker_a",
            "POST",
            f"{mo}/dispatch",
            {"carrier": "RM", "tracking_number": "1", "status": "delivered"},
        ),
        (
            "maker_a",
            "POST",
            f"{mo}/quality-check",
            {"passed": True, "checks": {**PASSING_CHECKS, "role": "x"}, "status": "quality_checked"},
        ),
        (
            "operator",
            "POST",
            f"{mo}/refund",
            {"reason": "x", "amount": {"amount": 999999, "currency": "GBP"}},
        ),
        (
            "operator",
            "POST",
            f"/api/v1/makers/{ids['maker_c']}/review",
            {"decision": "approve", "status": "approved"},
        ),
        (
            "operator",
            "POST",
            f"/api/v1/makers/{ids['maker_a']}/suspend",
            {"reason": "x", "status": "approved"},
        ),
        (
            "customer_x",
            "POST",
            "/api/v1/commissions",
            {
                "maker_id": ids["maker_a"],
                "brief": "x",
                "deadline": "2099-01-01",
                "status": "accepted",
                "budget": {"amount": 1, "currency": "GBP"},
            },
        ),
        (
            "customer_x",
            "POST",
            "/api/v1/commissions",
            {
                "maker_id": ids["maker_a"],
                "brief": "x",
                "deadline": "2099-01-01",
                "customer_id": str(uuid.uuid4()),
                "budget": {"amount": 1, "currency": "GBP"},
            },
        ),
        (
            "maker_a",
            "POST",
            f"/api/v1/commissions/{ids['commission_x']}/quote",
            {
                "price": {"amount": 1, "currency": "GBP"},
                "lead_time_days": 1,
                "description": "x",
                "status": "accepted",
            },
        ),
        (
            "customer_x",
            "POST",
            f"/api/v1/commissions/{ids['commission_x']}/accept",
            {
                "shipping_address": ADDRESS,
                "payment": {"token": "tok_visa"},
                "price": {"amount": 1, "currency": "GBP"},
            },
        ),
        (
            "customer_x",
            "POST",
            "/api/v1/conversations",
            {"listing_id": ids["listing_a"], "body": "x", "customer_id": str(uuid.uuid4())},
        ),
        (
            "customer_x",
            "POST",
            f"/api/v1/conversations/{ids['conversation_x']}/messages",
            {"body": "x", "sender_role": "maker"},
        ),
        (
            "customer_x",
            "POST",
            "/api/v1/reviews",
            {
                "maker_order_id": world.order_y["maker_orders"][0]["id"],
                "listing_id": world.listing_b["id"],
                "rating": 5,
                "title": "x",
                "customer_id": str(uuid.uuid4()),
            },
        ),
        (
            "maker_b",
            "POST",
            f"/api/v1/reviews/{ids['review_y']}/reply",
            {"body": "x", "replied_at": "2020-01-01"},
        ),
        ("operator", "POST", f"/api/v1/reviews/{ids['review_y']}/hide", {"reason": "x", "status": "visible"}),
        (
            "anonymous",
            "POST",
            "/api/v1/auth/register",
            {
                "email": f"{uuid.uuid4().hex}@example.com",
                "password": "a-long-password",
                "display_name": "X",
                "role": "customer",
                "user_id": str(uuid.uuid4()),
            },
        ),
        (
            "anonymous",
            "POST",
            "/api/v1/auth/register",
            {
                "email": f"{uuid.uuid4().hex}@example.com",
                "password": "a-long-password",
                "display_name": "X",
                "role": "customer",
                "is_operator": True,
            },
        ),
    ]
    return cases


async def test_mass_assignment_is_refused_and_changes_nothing(world: World, pg: asyncpg.Pool) -> None:
    before = await _snapshot(world)
    orders_before = await pg.fetchval("SELECT count(*) FROM orders.orders")
    listings_before = await pg.fetchval("SELECT count(*) FROM catalogue.listings")
    makers_before = await pg.fetchval("SELECT count(*) FROM makers.makers")
    users_before = await pg.fetchval("SELECT count(*) FROM identity.users")
    wrong = []
    for who, method, path, body in _mass_assignments(world):
        status, answer = await world.call(
            method, path, who, body=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        codes = (
            {e.get("code") for e in (answer or {}).get("errors", [])} if isinstance(answer, dict) else set()
        )
        if status != 422 or "extra_forbidden" not in codes:
            wrong.append((who, method, path, sorted(set(body) - {"lines"}), status, codes))
    assert wrong == [], wrong
    assert await _snapshot(world) == before
    assert await pg.fetchval("SELECT count(*) FROM orders.orders") == orders_before
    assert await pg.fetchval("SELECT count(*) FROM catalogue.listings") == listings_before
    assert await pg.fetchval("SELECT count(*) FROM makers.makers") == makers_before
    assert await pg.fetchval("SELECT count(*) FROM identity.users") == users_before


# --- tokens and roles ---------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_token_attacks_are_401(world: World, test_env: TestEnvironment) -> None:
    public_pem = Path(test_env.env["MARKET_JWT_PUBLIC_KEY_FILE"]).read_bytes()
    private = serialization.load_pem_private_key(test_env.private_key_pem.encode(), password=None)
    stranger = Ed25519PrivateKey.generate()
    now = int(time.time())
    customer_id = str(uuid.uuid4())
    claims = {
        "iss": "marketplace",
        "aud": "marketplace",
        "sub": customer_id,
        "role": "customer",
        "iat": now,
        "exp": now + 600,
    }
    good = jwt.encode(claims, private, algorithm="EdDSA")
    header, _payload, signature = good.split(".")
    attacks = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'role': 'operator'})}.",
        "HS256 keyed with the public key": _hs256(public_pem, {**claims, "role": "operator"}),
        "another key": jwt.encode(claims, stranger, algorithm="EdDSA"),
        "role edited, signature kept": f"{header}.{_b64({**claims, 'role': 'operator'})}.{signature}",
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, private, algorithm="EdDSA"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil"}, private, algorithm="EdDSA"),
        "wrong audience": jwt.encode({**claims, "aud": "other"}, private, algorithm="EdDSA"),
        "unknown role": jwt.encode({**claims, "role": "admin"}, private, algorithm="EdDSA"),
        "no role": jwt.encode({k: v for k, v in claims.items() if k != "role"}, private, algorithm="EdDSA"),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, private, algorithm="EdDSA"),
        "sub not a uuid": jwt.encode({**claims, "sub": "1 OR 1=1"}, private, algorithm="EdDSA"),
        "garbage": "not.a.token",
        "empty segments": "..",
        # Under aiohttp's 8 KiB header line limit, so the verifier (not the parser) refuses it.
        "huge": "a" * 7000,
    }
    failures = []
    for name, token in attacks.items():
        for path in (
            "/api/v1/auth/me",
            "/api/v1/orders",
            "/api/v1/maker-orders",
            f"/api/v1/makers/{world.maker_c_id}/review",
        ):
            method = "POST" if path.endswith("review") else "GET"
            status, _ = await world.call(
                method,
                path,
                token=token,
                body={"decision": "approve", "note": None} if method == "POST" else None,
            )
            if status != 401:
                failures.append((name, path, status))
    for header_value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "bearer", "Token abc"):
        status, _ = await world.call("GET", "/api/v1/orders", headers={"Authorization": header_value})
        if status != 401:
            failures.append((header_value, status))
    assert failures == [], failures
    # The untampered token still works: the attacks failed for their own reasons.
    status, _ = await world.call("GET", "/api/v1/orders", token=good)
    assert status == 200


def _hs256(key: bytes, claims: dict[str, Any]) -> str:
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


async def test_no_role_escalation(world: World) -> None:
    for role in ("operator", "admin", "Operator", "customer "):
        status, answer = await world.call(
            "POST",
            "/api/v1/auth/register",
            body={
                "email": f"{uuid.uuid4().hex}@example.com",
                "password": "a-long-password",
                "display_name": "Eve",
                "role": role,
            },
        )
        assert status == 422, (role, status, answer)
    email = f"{uuid.uuid4().hex}@example.com"
    status, account = await world.call(
        "POST",
        "/api/v1/auth/register",
        body={"email": email, "password": "a-long-password", "display_name": "Eve", "role": "customer"},
    )
    assert status == 201 and account["role"] == "customer"
    status, token = await world.call(
        "POST", "/api/v1/auth/token", body={"email": email, "password": "a-long-password"}
    )
    assert status == 200
    eve = token["access_token"]
    for method, path, body in (
        ("POST", f"/api/v1/makers/{world.maker_c_id}/review", {"decision": "approve", "note": None}),
        ("POST", f"/api/v1/makers/{world.maker_a.id}/suspend", {"reason": "x"}),
        ("GET", "/api/v1/makers?status=submitted", None),
        ("POST", f"/api/v1/maker-orders/{world.order_x['maker_orders'][0]['id']}/deliver", None),
        ("GET", "/api/v1/payouts", None),
        ("POST", "/api/v1/listings", piece({"kind": "ready_to_ship", "stock": 1})),
        ("POST", "/api/v1/makers", {"handle": f"h-{uuid.uuid4().hex[:6]}", "display_name": "Eve"}),
    ):
        status, _ = await world.call(method, path, token=eve, body=body)
        assert status == 403, (method, path, status)
    status, me = await world.call("GET", "/api/v1/auth/me", token=eve)
    assert me["role"] == "customer"


async def test_rate_limits(world: World) -> None:
    # Sign-in: one account's failed attempts are throttled, wherever they come from.
    email = f"{uuid.uuid4().hex}@example.com"
    status, _ = await world.call(
        "POST",
        "/api/v1/auth/register",
        body={"email": email, "password": "a-long-password", "display_name": "Ann", "role": "customer"},
    )
    assert status == 201
    statuses = []
    for _ in range(12):
        status, _problem = await world.call(
            "POST", "/api/v1/auth/token", body={"email": email, "password": "wrong-password-!"}
        )
        statuses.append(status)
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429, statuses
    # One address: a burst over the limit is refused with Retry-After, as problem+json.
    client = Client(world.shop.session, world.shop.gateway_url, Traffic())

    async def one() -> tuple[int, str | None, str]:
        async with world.shop.session.get(
            world.shop.gateway_url + "/api/v1/makers?limit=1", headers={"X-Forwarded-For": client.address}
        ) as r:
            await r.read()
            return r.status, r.headers.get("Retry-After"), r.content_type

    answers = await asyncio.gather(*(one() for _ in range(250)))  # burst 100, then 20/s
    limited = [a for a in answers if a[0] == 429]
    assert limited and all(retry and ctype == PROBLEM for _, retry, ctype in limited)


# --- hostile input ----------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE_BODIES: dict[str, bytes] = {
    "malformed": b'{"title": ',
    "not utf-8": b'{"title": "\xff\xfe"}',
    "array": b"[]",
    "scalar": b"42",
    "null": b"null",
    "nested 40": json.dumps(_nested(40)).encode(),
    "nested 5000": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "nul": json.dumps(
        {
            "title": "ring\u0000",
            "reason": "a\u0000",
            "bio": "\u0000",
            "note": "\u0000",
            "display_name": "\u0000",
            "brief": "\u0000",
        }
    ).encode(),
    "surrogate": (
        b'{"title": "ring \\ud800", "reason": "\\udfff", "display_name": "\\ud83d", "brief": "\\ud800"}'
    ),
    "surrogate key": b'{"\\ud800": 1}',
    "overlong": json.dumps(
        dict.fromkeys(
            ("title", "reason", "bio", "brief", "display_name", "note", "description", "carrier", "email"),
            "x" * 100000,
        )
    ).encode(),
    "sql": json.dumps(
        dict.fromkeys(
            ("title", "reason", "bio", "brief", "handle", "display_name", "email", "carrier"),
            "'; DROP TABLE orders; --",
        )
    ).encode(),
    "oversized": b'{"title": "' + b"x" * 300_000 + b'"}',
    "wrong types": json.dumps(
        {
            "title": 1,
            "lines": "x",
            "price": "free",
            "quantity": 1e308,
            "passed": "yes",
            "decision": ["approve"],
        }
    ).encode(),
    "huge numbers": json.dumps(
        {
            "quantity": 10**40,
            "price": {"amount": 10**40, "currency": "GBP"},
            "lead_time_days": 10**40,
            "budget": {"amount": -1, "currency": "XXX"},
        }
    ).encode(),
}

SQL_IDS = [
    "1' OR '1'='1",
    "00000000-0000-0000-0000-000000000000",
    "%27%3B%20DROP%20TABLE%20x",
    "..%2F..%2Fetc",
    "\u0000",
    "a" * 5000,
    "-1",
    "null",
]


async def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    status, document = await world.call("GET", "/openapi.json")
    assert status == 200
    return [
        (method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]


async def test_hostile_bodies_never_5xx(world: World) -> None:
    ids = _ids(world)
    substitutes = {"id": ids["order_x"], "handle": "x"}
    for method, path, operation in await _operations(world):
        if "requestBody" not in operation:
            continue
        concrete = path.replace("{id}", substitutes["id"]).replace("{handle}", "x")
        # A JSON body's bad text is a 400 or 422, and 300 kB is over its limit (413); an upload
        # may be 20 MiB, and any of these is bytes that are no image (415).
        takes_json = "application/json" in operation["requestBody"].get("content", {})
        for who in ("customer_x", "maker_a", "operator", "anonymous"):
            for name, raw in HOSTILE_BODIES.items():
                status, _answer = await world.call(
                    method, concrete, who, raw=raw, headers={"Idempotency-Key": str(uuid.uuid4())}
                )
                assert 400 <= status < 500, (method, path, who, name, status)
                if name == "oversized" and takes_json:
                    assert status in (413, 401, 403, 404), (method, path, who, status)
                if (
                    name in ("nul", "surrogate", "surrogate key")
                    and takes_json
                    and who != "anonymous"
                    and status not in (401, 403, 404)
                ):
                    assert status in (400, 422), (method, path, who, name, status)


async def test_hostile_ids_and_queries_never_5xx(world: World) -> None:
    for method, path, operation in await _operations(world):
        if "{" in path:
            for bad in SQL_IDS:
                concrete = path.replace("{id}", bad).replace("{handle}", bad)
                for who in ("customer_x", "maker_a", "operator", "anonymous"):
                    status, _ = await world.call(method, concrete, who, body={})
                    assert 400 <= status < 500, (method, path, bad, status)
        if method == "GET":
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            for name in params:
                for bad in (
                    "'; SELECT pg_sleep(5); --",
                    "\u0000",
                    "%00",
                    "x" * 7000,
                    "-1",
                    "1e309",
                    "[]",
                    "{}",
                    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
                ):
                    for who in ("customer_x", "maker_a", "operator", "anonymous"):
                        started = time.monotonic()
                        status, _ = await world.call(
                            "GET",
                            f"{path.replace('{id}', world.order_x['id']).replace('{handle}', 'x')}"
                            f"?{name}={quote(bad, safe='')}",
                            who,
                        )
                        assert status < 500 and time.monotonic() - started < 4, (path, name, bad, status)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    "not-base64!!",
    "AAAA",
    _cursor({"a": 1}),
    _cursor([]),
    _cursor([1, 2]),
    _cursor(["x", "y"]),
    _cursor(["2024-01-01T00:00:00", str(uuid.uuid4())]),
    _cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"]),
    _cursor(["newest", "x", "y"]),
    _cursor(["price_asc", 10**30, str(uuid.uuid4())]),
    _cursor(["relevance", "'; DROP TABLE x; --", str(uuid.uuid4())]),
    _cursor([None, None]),
    _cursor(["9999-99-99T00:00:00+00:00", str(uuid.uuid4())]),
    _cursor([1e308, str(uuid.uuid4())]),
    _cursor(["2024-01-01T00:00:00+00:00", str(uuid.uuid4()), "extra"]),
    "x" * 600,
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    _cursor("\u0000"),
]


async def test_forged_cursors_on_every_list(world: World) -> None:
    lists = [
        path
        for method, path, op in await _operations(world)
        if method == "GET" and any(p["name"] == "cursor" for p in op.get("parameters", []))
    ]
    assert len(lists) >= 7, lists
    for path in lists:
        for who in ("customer_x", "maker_a", "operator", "anonymous"):
            for cursor in FORGED_CURSORS:
                extra = "&maker_id=" + world.maker_a.id if path == "/api/v1/payouts" else ""
                for sort in ("", "&sort=price_asc", "&sort=relevance&q=ring"):
                    if sort and path != "/api/v1/listings":
                        continue
                    status, _ = await world.call(
                        "GET", f"{path}?cursor={quote(cursor, safe='')}{extra}{sort}", who
                    )
                    assert status in (400, 401, 403, 422), (path, who, cursor, sort, status)
