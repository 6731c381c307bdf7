"""Object-level authorisation: every endpoint that takes an id, as each maker, customer, the
operator and anonymous (401 anonymous, 403 wrong role, 404 someone else's object, and nothing
changed); and lists showing only what is the caller's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.test_security_api.support import World, _ids, _snapshot
from tests.reliability.marketplace import ADDRESS, PASSING_CHECKS

pytestmark = pytest.mark.timeout(240)

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
