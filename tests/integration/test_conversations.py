"""Conversations between a customer and a maker, with the real orders and notifications services,
PostgreSQL, RabbitMQ and an SMTP catcher (the test stands in for the gateway, catalogue and
makers: it publishes their events). Every rule and code: what a conversation may be about (the
customer's own order, with one conversation per maker of it; their own commission; a piece on
sale), one conversation per subject and pair, the length caps at their boundaries, markup kept
as text, only the two parties reading and writing, operators reading and never writing, anyone
else answered as for a conversation that does not exist; the event each message publishes and
the other party told by email and in the app."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support.harness import eventually
from tests.support.notifications import PUBLIC_URL
from tests.support.orders_world import Maker, World, orders, world  # noqa: F401 (fixtures)
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)

CONVERSATIONS = "/api/v1/conversations"


async def new_commission(world: World, token: str, maker: Maker) -> dict[str, Any]:
    return await world.api.ok(
        "POST",
        "/api/v1/commissions",
        token,
        status=201,
        json={
            "maker_id": maker.maker_id,
            "brief": "A signet ring with our family crest",
            "budget": {"amount": 90000, "currency": "GBP"},
            "deadline": (date.today() + timedelta(days=60)).isoformat(),
        },
    )


async def start(world: World, token: str, status: int = 201, **body: Any) -> Any:
    return await world.api.ok("POST", CONVERSATIONS, token, status=status, json=body)


async def refused(
    world: World, token: str, body: dict[str, Any], code: str, path: str = CONVERSATIONS
) -> None:
    response = await world.api.call("POST", path, token, json=body)
    assert response.status == 422, (response.status, response.body)
    assert code in codes(response.body), response.body


def codes(problem: dict[str, Any]) -> list[str]:
    return [problem.get("code")] + [error["code"] for error in problem.get("errors", [])]


# --- starting and continuing ---------------------------------------------------------------------


async def test_a_customer_asks_about_a_piece_and_the_maker_replies(world: World) -> None:
    maker = await world.maker()
    piece = await world.listing(maker, title="Hammered sterling band")
    customer, token = await world.customer()

    started = await start(world, token, listing_id=piece["listing_id"], body="  Does it come in size P?  ")
    assert started["customer_id"] == str(customer.user_id) and started["maker_id"] == maker.maker_id
    assert started["maker_name"] == "Silver & Stone"
    assert started["subject"] == {
        "kind": "listing",
        "id": piece["listing_id"],
        "title": "Hammered sterling band",
    }
    assert (started["listing_id"], started["order_id"], started["commission_id"]) == (
        piece["listing_id"],
        None,
        None,
    )
    [first] = started["messages"]
    assert (first["sender_role"], first["body"]) == ("customer", "Does it come in size P?")
    assert started["unread"] is False and started["last_sender_role"] == "customer"
    assert started["earlier_cursor"] is None

    # Asking again about the same piece continues the same conversation.
    again = await start(world, token, listing_id=piece["listing_id"], body="And in gold?")
    assert again["id"] == started["id"]
    assert [m["body"] for m in again["messages"]] == ["Does it come in size P?", "And in gold?"]

    # The maker sees it unread, opens it (read now), and replies.
    [listed] = (await world.api.ok("GET", CONVERSATIONS, maker.token))["items"]
    assert listed["id"] == started["id"] and listed["unread"] is True and "messages" not in listed
    opened = await world.api.ok("GET", f"{CONVERSATIONS}/{started['id']}", maker.token)
    assert len(opened["messages"]) == 2 and opened["unread"] is False
    assert (await world.api.ok("GET", CONVERSATIONS, maker.token))["items"][0]["unread"] is False
    replied = await world.api.ok(
        "POST",
        f"{CONVERSATIONS}/{started['id']}/messages",
        maker.token,
        status=201,
        json={"body": "Yes, both."},
    )
    assert [m["sender_role"] for m in replied["messages"]] == ["customer", "customer", "maker"]
    assert replied["last_sender_role"] == "maker"

    # Now the customer has something unread, until they open it; they write again.
    [mine] = (await world.api.ok("GET", CONVERSATIONS, token))["items"]
    assert mine["unread"] is True
    assert (await world.api.ok("GET", f"{CONVERSATIONS}/{started['id']}", token))["messages"][-1][
        "body"
    ] == "Yes, both."
    assert (await world.api.ok("GET", CONVERSATIONS, token))["items"][0]["unread"] is False
    await world.api.ok(
        "POST", f"{CONVERSATIONS}/{started['id']}/messages", token, status=201, json={"body": "Lovely"}
    )
    assert (await world.api.ok("GET", CONVERSATIONS, maker.token))["items"][0]["unread"] is True


async def test_the_list_is_newest_activity_first_and_pages_without_repeats(world: World) -> None:
    maker = await world.maker()
    pieces = [await world.listing(maker, title=f"Piece {n}") for n in range(3)]
    _, token = await world.customer()
    ids = [
        (await start(world, token, listing_id=p["listing_id"], body=f"About {n}"))["id"]
        for n, p in enumerate(pieces)
    ]
    # Writing in the oldest brings it to the top.
    await world.api.ok(
        "POST", f"{CONVERSATIONS}/{ids[0]}/messages", token, status=201, json={"body": "Still there?"}
    )
    expected = [ids[0], ids[2], ids[1]]

    seen, cursor = [], None
    while True:
        page = await world.api.ok(
            "GET", CONVERSATIONS + "?limit=1" + (f"&cursor={cursor}" if cursor else ""), token
        )
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert [i["id"] for i in (await world.api.ok("GET", CONVERSATIONS, maker.token))["items"]] == expected
    bad = await world.api.call("GET", CONVERSATIONS + "?cursor=bm9wZQ", token)
    assert bad.status == 400


async def test_an_order_has_one_conversation_per_maker_and_only_its_customer_may_start_them(
    world: World,
) -> None:
    first, second = await world.maker("Maker One"), await world.maker("Maker Two")
    ring, pendant = await world.listing(first), await world.listing(second)
    _, token = await world.customer()
    both = await world.order(token, ring, pendant)

    await refused(world, token, {"order_id": both["id"], "body": "Hello"}, "maker_required")
    await refused(
        world,
        token,
        {"order_id": both["id"], "maker_id": str(uuid.uuid4()), "body": "Hello"},
        "maker_not_in_order",
    )
    to_first = await start(
        world, token, order_id=both["id"], maker_id=first.maker_id, body="When will it ship?"
    )
    to_second = await start(world, token, order_id=both["id"], maker_id=second.maker_id, body="Gift wrap?")
    assert to_first["id"] != to_second["id"]
    assert (to_first["maker_id"], to_second["maker_id"]) == (first.maker_id, second.maker_id)
    assert to_first["order_id"] == both["id"] and to_first["subject"]["kind"] == "order"
    assert to_first["subject"]["title"] == f"Order {both['reference']}"
    assert (await start(world, token, order_id=both["id"], maker_id=first.maker_id, body="?"))[
        "id"
    ] == to_first["id"]

    # An order from one maker needs no maker_id.
    single = await world.order(token, ring)
    alone = await start(world, token, order_id=single["id"], body="Thanks!")
    assert alone["maker_id"] == first.maker_id and alone["id"] != to_first["id"]

    # Someone else's order is refused exactly as one that does not exist.
    _, stranger = await world.customer("Mallory")
    for order_id in (single["id"], str(uuid.uuid4())):
        response = await world.api.call(
            "POST", CONVERSATIONS, stranger, json={"order_id": order_id, "body": "Hi"}
        )
        assert response.status == 422 and codes(response.body)[-1] == "order_not_found"
        assert response.body["errors"] == [
            {"loc": ["order_id"], "msg": "You have no order with this id", "code": "order_not_found"}
        ]
    assert (await world.api.ok("GET", CONVERSATIONS, stranger))["items"] == []
    # Makers and operators cannot start one.
    assert (
        await world.api.call(
            "POST", CONVERSATIONS, first.token, json={"order_id": single["id"], "body": "Hi"}
        )
    ).status == 403
    operator = world.api.mint("operator")
    assert (
        await world.api.call("POST", CONVERSATIONS, operator, json={"order_id": single["id"], "body": "Hi"})
    ).status == 403


async def test_a_commission_conversation_is_its_customers_alone(world: World) -> None:
    maker = await world.maker()
    _, token = await world.customer()
    commission = await new_commission(world, token, maker)
    started = await start(world, token, commission_id=commission["id"], body="Could the crest be engraved?")
    assert started["commission_id"] == commission["id"] and started["maker_id"] == maker.maker_id
    assert started["subject"]["title"] == "Commission: A signet ring with our family crest"
    await refused(
        world,
        token,
        {"commission_id": commission["id"], "maker_id": str(uuid.uuid4()), "body": "Hi"},
        "maker_not_in_order",
    )

    _, stranger = await world.customer("Mallory")
    for commission_id in (commission["id"], str(uuid.uuid4())):
        await refused(world, stranger, {"commission_id": commission_id, "body": "Hi"}, "commission_not_found")


async def test_what_a_conversation_may_be_about(world: World) -> None:
    maker = await world.maker()
    piece = await world.listing(maker)
    hidden = await world.listing(maker, visible=False, status="paused")
    _, token = await world.customer()
    order = await world.order(token, piece)

    await refused(world, token, {"body": "About nothing"}, "subject_required")
    await refused(
        world,
        token,
        {"listing_id": piece["listing_id"], "order_id": order["id"], "body": "Hi"},
        "subject_required",
    )
    await refused(world, token, {"listing_id": str(uuid.uuid4()), "body": "Hi"}, "listing_not_found")
    await refused(world, token, {"listing_id": hidden["listing_id"], "body": "Hi"}, "listing_not_found")
    await refused(
        world,
        token,
        {"listing_id": piece["listing_id"], "maker_id": str(uuid.uuid4()), "body": "Hi"},
        "maker_not_in_order",
    )
    # Nobody names the customer, the maker of a listing, or a status.
    for extra in ({"customer_id": str(uuid.uuid4())}, {"sender_role": "maker"}):
        await refused(
            world, token, {"listing_id": piece["listing_id"], "body": "Hi", **extra}, "extra_forbidden"
        )
    assert (
        await world.api.call(
            "POST", CONVERSATIONS, token, data=b"{not json", headers={"Content-Type": "application/json"}
        )
    ).status == 400
    assert (await world.api.ok("GET", CONVERSATIONS, token))["items"] == []
    assert (
        await world.db.fetchval(
            "SELECT count(*) FROM orders.outbox WHERE envelope->>'type' = $1 "
            "AND envelope->'data'->>'listing_id' = $2",
            "orders.conversation.message_posted",
            piece["listing_id"],
        )
        == 0
    )


async def test_messages_are_1_to_2000_characters_and_markup_stays_text(world: World) -> None:
    maker = await world.maker()
    piece = await world.listing(maker)
    _, token = await world.customer()
    for body, code in (
        ("", "string_too_short"),
        ("   \n ", "string_too_short"),
        ("x" * 2001, "string_too_long"),
    ):
        await refused(world, token, {"listing_id": piece["listing_id"], "body": body}, code)
    await refused(world, token, {"listing_id": piece["listing_id"], "body": "nul\x00"}, "invalid_characters")
    await refused(world, token, {"listing_id": piece["listing_id"], "body": "bell\x07"}, "control_character")
    assert (await world.api.ok("GET", CONVERSATIONS, token))["items"] == []  # nothing was started

    one = await start(world, token, listing_id=piece["listing_id"], body="x")
    messages = f"{CONVERSATIONS}/{one['id']}/messages"
    longest = "é" * 2000
    assert (await world.api.ok("POST", messages, token, status=201, json={"body": longest}))["messages"][-1][
        "body"
    ] == longest
    for body, code in (("", "string_too_short"), ("\t", "string_too_short"), ("y" * 2001, "string_too_long")):
        await refused(world, token, {"body": body}, code, path=messages)
    await refused(world, token, {"body": "Hi", "sender_role": "maker"}, "extra_forbidden", path=messages)

    markup = '<script>alert("x")</script><b>bold</b> & <img src=x onerror=alert(1)>'
    shown = await world.api.ok("POST", messages, maker.token, status=201, json={"body": markup})
    assert shown["messages"][-1]["body"] == markup
    assert (await world.api.ok("GET", f"{CONVERSATIONS}/{one['id']}", token))["messages"][-1][
        "body"
    ] == markup
    assert [m["body"] for m in shown["messages"]] == ["x", longest, markup]


async def test_only_the_two_parties_write_operators_read_and_others_find_nothing(
    world: World,
) -> None:
    maker, other_maker = await world.maker(), await world.maker("Another Workshop")
    piece = await world.listing(maker)
    _, token = await world.customer()
    started = await start(world, token, listing_id=piece["listing_id"], body="Private question")
    path = f"{CONVERSATIONS}/{started['id']}"
    _, stranger = await world.customer("Mallory")
    operator = world.api.mint("operator")
    unknown_maker = world.api.mint("maker")  # a maker user orders has not heard of

    missing = await world.api.call("GET", f"{CONVERSATIONS}/{uuid.uuid4()}", token)
    assert missing.status == 404
    for intruder in (stranger, other_maker.token, unknown_maker):
        seen = await world.api.call("GET", path, intruder)
        assert (seen.status, seen.body["detail"], seen.body.get("code")) == (
            404,
            missing.body["detail"],
            missing.body.get("code"),
        )
        wrote = await world.api.call("POST", f"{path}/messages", intruder, json={"body": "Let me in"})
        assert wrote.status == 404 and wrote.body["detail"] == missing.body["detail"]
        assert started["id"] not in [
            i["id"] for i in (await world.api.ok("GET", CONVERSATIONS, intruder))["items"]
        ]
    assert (await world.api.call("GET", f"{CONVERSATIONS}/not-a-uuid", token)).status == 404

    # Operators read (and reading marks nothing read for the parties), never write.
    read = await world.api.ok("GET", path, operator)
    assert [m["body"] for m in read["messages"]] == ["Private question"] and read["unread"] is False
    assert started["id"] in [i["id"] for i in (await world.api.ok("GET", CONVERSATIONS, operator))["items"]]
    assert (await world.api.call("POST", f"{path}/messages", operator, json={"body": "Hello"})).status == 403
    assert (await world.api.ok("GET", CONVERSATIONS, maker.token))["items"][0]["unread"] is True
    assert (await world.api.call("GET", path)).status == 401
    assert (await world.api.call("POST", f"{path}/messages", json={"body": "Hi"})).status == 401
    assert len((await world.api.ok("GET", path, token))["messages"]) == 1  # no refused write left a trace


async def test_each_message_is_an_event_and_the_other_party_is_told(
    world: World, smtp_server: SmtpCatcher
) -> None:
    maker = await world.maker()
    piece = await world.listing(maker, title="Moonstone drop earrings")
    customer, token = await world.customer("Ada Lovelace")
    started = await start(
        world, token, listing_id=piece["listing_id"], body="Are the hooks <b>sterling</b>? " + "z" * 200
    )

    [event] = await world.db.fetch(
        "SELECT envelope FROM orders.outbox WHERE aggregate_id = $1 ORDER BY id", started["id"]
    )
    envelope = json.loads(event["envelope"])
    data = envelope["data"]
    assert envelope["type"] == "orders.conversation.message_posted" and envelope["version"] == 1
    assert {
        k: data[k]
        for k in (
            "conversation_id",
            "order_id",
            "commission_id",
            "listing_id",
            "customer_id",
            "maker_id",
            "sender_role",
        )
    } == {
        "conversation_id": started["id"],
        "order_id": None,
        "commission_id": None,
        "listing_id": piece["listing_id"],
        "customer_id": str(customer.user_id),
        "maker_id": maker.maker_id,
        "sender_role": "customer",
    }
    assert data["message_id"] == started["messages"][0]["id"]
    assert data["excerpt"] == ("Are the hooks <b>sterling</b>? " + "z" * 200)[:140]

    [mail] = await smtp_server.wait_for(maker.person.email, subject="New message")
    assert mail.subject == "New message from Ada Lovelace about Moonstone drop earrings"
    assert "Are the hooks <b>sterling</b>?" in mail.text
    assert "&lt;b&gt;sterling&lt;/b&gt;" in mail.html and "<b>sterling</b>" not in mail.html
    assert f"{PUBLIC_URL}/messages/{started['id']}" in mail.links
    assert mail.header("List-Unsubscribe") is not None

    await world.api.ok(
        "POST",
        f"{CONVERSATIONS}/{started['id']}/messages",
        maker.token,
        status=201,
        json={"body": "Yes, sterling."},
    )
    [reply] = await smtp_server.wait_for(customer.email, subject="New message")
    assert reply.subject == "New message from Silver & Stone about Moonstone drop earrings"
    assert "Yes, sterling." in reply.text and "Hello Ada Lovelace" in reply.text

    async def in_app(user_id: uuid.UUID) -> list[asyncpg.Record]:
        return await world.db.fetch(
            "SELECT kind, title, body, link FROM notifications.notifications "
            "WHERE user_id = $1 AND kind LIKE 'message_%'",
            user_id,
        )

    [to_maker] = await eventually(lambda: in_app(maker.person.user_id), message="the maker's notification")
    assert (to_maker["kind"], to_maker["title"], to_maker["link"]) == (
        "message_from_customer",
        "New message from Ada Lovelace",
        f"/messages/{started['id']}",
    )
    [to_customer] = await eventually(lambda: in_app(customer.user_id), message="the customer's notification")
    assert (to_customer["kind"], to_customer["title"], to_customer["body"]) == (
        "message_from_maker",
        "New message from Silver & Stone",
        "Yes, sterling.",
    )
    # The writer is never told of their own message (the customer's email came after it).
    assert [m.subject for m in smtp_server.to(maker.person.email) if "New message" in m.subject] == [
        mail.subject
    ]
    assert [m.subject for m in smtp_server.to(customer.email) if "New message" in m.subject] == [
        reply.subject
    ]


async def test_two_first_messages_at_once_make_one_conversation(world: World) -> None:
    maker = await world.maker()
    piece = await world.listing(maker)
    _, token = await world.customer()
    first, second = await asyncio.gather(
        start(world, token, listing_id=piece["listing_id"], body="One"),
        start(world, token, listing_id=piece["listing_id"], body="Two"),
    )
    assert first["id"] == second["id"]
    opened = await world.api.ok("GET", f"{CONVERSATIONS}/{first['id']}", token)
    assert sorted(m["body"] for m in opened["messages"]) == ["One", "Two"] and opened["version"] == 2
    assert len((await world.api.ok("GET", CONVERSATIONS, token))["items"]) == 1


async def test_a_long_conversation_shows_its_newest_100_messages_and_pages_back(world: World) -> None:
    maker = await world.maker()
    piece = await world.listing(maker)
    _, token = await world.customer()
    started = await start(world, token, listing_id=piece["listing_id"], body="Message 0")
    path = f"{CONVERSATIONS}/{started['id']}"
    for n in range(1, 102):
        writer = token if n % 2 == 0 else maker.token
        await world.api.ok("POST", f"{path}/messages", writer, status=201, json={"body": f"Message {n}"})

    newest = await world.api.ok("GET", path, token)
    assert [m["body"] for m in newest["messages"]] == [f"Message {n}" for n in range(2, 102)]
    assert newest["earlier_cursor"] and newest["version"] == 102
    earlier = await world.api.ok("GET", f"{path}?before={newest['earlier_cursor']}", token)
    assert [m["body"] for m in earlier["messages"]] == ["Message 0", "Message 1"]
    assert earlier["earlier_cursor"] is None
    assert (await world.api.call("GET", f"{path}?before=bm9wZQ", token)).status == 400
