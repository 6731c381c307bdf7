"""Mass assignment on every write (status, ids, owners, prices, role, version...): refused
with 422 `extra_forbidden`, and nothing created or changed."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from tests.integration.test_security_api.support import World, _ids, _snapshot
from tests.reliability.marketplace import ADDRESS, PASSING_CHECKS, piece

pytestmark = pytest.mark.timeout(240)


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
