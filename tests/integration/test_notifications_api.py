"""The notifications API through the gateway, with a real notifications service, RabbitMQ,
PostgreSQL and aiosmtpd: in-app notifications (list, mark read, read all, another person's
answered as missing), the unread count's long poll, email preferences, and the one-click
unsubscribe of an email's List-Unsubscribe link."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.orders import MakerOrderDispatched, MakerOrderRefunded, OrderConfirmed
from tests.support.harness import ServiceProcess, TestEnvironment, eventually, free_port
from tests.support.notifications import (
    PUBLIC_URL,
    Maker,
    Person,
    confirmed,
    customer_and_makers,
    part_fields,
    person,
    start_notifications,
    tell,
)
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)
from tests.support.waits import consumed

pytestmark = pytest.mark.timeout(180)

# Where emails say the storefront is (the front door); the test reaches it at the gateway.


@dataclass
class Stack:
    gateway: ServiceProcess
    notifications: ServiceProcess


@pytest.fixture(scope="module")
def stack(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> Stack:
    notifications = start_notifications(service_processes, smtp_server)
    gateway = service_processes(
        "gateway",
        GATEWAY_NOTIFICATIONS_URL=notifications.url,
        GATEWAY_MAKERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_CATALOGUE_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_ORDERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_MEDIA_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_RATE_LIMIT_BURST="10000",
    )
    return Stack(gateway, notifications)


@dataclass
class Api:
    session: aiohttp.ClientSession
    url: str
    mint: Callable[..., str]

    async def call(self, method: str, path: str, who: Person | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.mint(who.role, who.user_id)}"
        async with self.session.request(method, self.url + path, headers=headers, **kwargs) as response:
            body = await response.json() if "json" in response.content_type else await response.text()
            return response.status, body


@pytest.fixture
async def api(stack: Stack, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, stack.gateway.url, mint)


@pytest.fixture
def ns(test_env: TestEnvironment, stack: Stack) -> str:
    return test_env.namespace


async def ordered_and_dispatched(ns: str, db: asyncpg.Connection) -> tuple[Person, Maker, OrderConfirmed]:
    customer, [maker] = await customer_and_makers(ns, db)
    order = confirmed(customer, [maker])
    await tell(ns, order, order.order_id)
    await tell(ns, dispatched(order), order.maker_orders[0].maker_order_id)
    return customer, maker, order


def dispatched(order: OrderConfirmed) -> MakerOrderDispatched:
    return MakerOrderDispatched(
        **part_fields(order), status="dispatched", carrier="Royal Mail", tracking_number="RM1"
    )


async def test_a_person_reads_their_notifications_and_nobody_else_does(
    api: Api, ns: str, db: asyncpg.Connection
) -> None:
    customer, maker, order = await ordered_and_dispatched(ns, db)

    async def two() -> list[dict[str, Any]]:
        status, page = await api.call("GET", "/api/v1/notifications", customer)
        return page["items"] if status == 200 and len(page["items"]) == 2 else []

    newest, oldest = await eventually(two, message="both notifications")
    assert (
        newest["kind"] == "parcel_dispatched" and newest["title"] == "Your parcel from Maker 1 is on its way"
    )
    assert oldest["kind"] == "order_confirmed" and oldest["link"] == f"/orders/{order.order_id}"
    assert newest["read_at"] is None
    assert await api.call("GET", "/api/v1/notifications/unread-count", customer) == (200, {"count": 2})

    status, page = await api.call("GET", "/api/v1/notifications?limit=1", customer)
    assert status == 200 and [item["id"] for item in page["items"]] == [newest["id"]]
    status, rest = await api.call(
        "GET", f"/api/v1/notifications?limit=1&cursor={page['next_cursor']}", customer
    )
    assert [item["id"] for item in rest["items"]] == [oldest["id"]] and rest["next_cursor"] is None

    # Somebody else's notification is missing to them, and nothing changes.
    status, problem = await api.call("POST", f"/api/v1/notifications/{newest['id']}/read", maker.person)
    assert (status, problem["code"]) == (404, "not_found")
    assert await api.call("GET", "/api/v1/notifications/unread-count", customer) == (200, {"count": 2})

    status, read = await api.call("POST", f"/api/v1/notifications/{newest['id']}/read", customer)
    assert status == 200 and read["read_at"] is not None
    assert await api.call("GET", "/api/v1/notifications/unread-count", customer) == (200, {"count": 1})
    assert await api.call("POST", "/api/v1/notifications/read-all", customer) == (200, {"marked": 1})
    assert await api.call("GET", "/api/v1/notifications/unread-count", customer) == (200, {"count": 0})

    assert (await api.call("GET", "/api/v1/notifications"))[0] == 401
    status, problem = await api.call("GET", "/api/v1/notifications?cursor=nonsense", customer)
    assert (status, problem["code"]) == (400, "invalid_cursor")


async def test_the_unread_count_answers_as_soon_as_a_notification_arrives(
    api: Api, ns: str, db: asyncpg.Connection
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    # Nothing new: held for the time asked, then the same count.
    started = time.monotonic()
    assert await api.call("GET", "/api/v1/notifications/unread-count?wait=1&after=0", customer) == (
        200,
        {"count": 0},
    )
    assert time.monotonic() - started >= 0.9

    waiting = asyncio.create_task(
        api.call("GET", "/api/v1/notifications/unread-count?wait=20&after=0", customer)
    )
    started = time.monotonic()
    order = confirmed(customer, [maker])
    await tell(ns, order, order.order_id)
    assert await waiting == (200, {"count": 1})
    assert time.monotonic() - started < 15

    status, problem = await api.call("GET", "/api/v1/notifications/unread-count?wait=26&after=0", customer)
    assert (status, problem["code"]) == (422, "validation_failed")


async def test_preferences_choose_the_optional_emails_and_never_the_transactional_ones(
    api: Api, ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    defaults = {"order_updates": True, "maker_orders": True, "reviews": True, "marketing": False}
    assert await api.call("GET", "/api/v1/notifications/preferences", customer) == (200, {"email": defaults})

    status, problem = await api.call(
        "PUT", "/api/v1/notifications/preferences", customer, json={"email": {**defaults, "receipts": False}}
    )
    assert (status, problem["code"]) == (422, "validation_failed")
    assert await api.call("GET", "/api/v1/notifications/preferences", customer) == (200, {"email": defaults})

    chosen = {**defaults, "order_updates": False}
    assert await api.call("PUT", "/api/v1/notifications/preferences", customer, json={"email": chosen}) == (
        200,
        {"email": chosen},
    )
    order = confirmed(customer, [maker])
    await tell(ns, order, order.order_id)
    await smtp_server.wait_for(customer.email, subject="confirmed")  # the receipt: always sent
    sent = await tell(ns, dispatched(order), order.maker_orders[0].maker_order_id)
    await eventually(lambda: consumed(db, "notifications", sent.event_id), message="dispatch handled")
    # Handled: the in-app notification is there, and no email was owed.
    kinds = await db.fetch(
        "SELECT kind FROM notifications.notifications WHERE event_id = $1 AND user_id = $2",
        sent.event_id,
        customer.user_id,
    )
    assert [row["kind"] for row in kinds] == ["parcel_dispatched"]
    assert not await db.fetchval(
        "SELECT count(*) FROM notifications.deliveries WHERE event_id = $1", sent.event_id
    )
    # A refund is transactional: sent whatever the preferences say.
    part = order.maker_orders[0]
    await tell(
        ns,
        MakerOrderRefunded(
            **part_fields(order),
            status="delivered",
            reason="lost in the post",
            refund=part.gross,
            gross=part.gross,
            commission=part.commission,
            net=part.net,
        ),
        part.maker_order_id,
    )
    await smtp_server.wait_for(customer.email, subject="refund")
    assert [mail.subject for mail in smtp_server.to(customer.email) if "on its way" in mail.subject] == []


async def test_one_click_unsubscribe_turns_off_that_category_only(
    api: Api, ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    order = confirmed(customer, [maker])
    await tell(ns, order, order.order_id)
    [mail] = await smtp_server.wait_for(maker.person.email, subject="New order")
    link = mail.header("List-Unsubscribe")
    assert link is not None and link.startswith("<") and link.endswith(">")
    assert link[1:].startswith(PUBLIC_URL + "/api/v1/notifications/unsubscribe?token=")
    url = api.url + link[1 + len(PUBLIC_URL) : -1]

    # A forged or damaged token changes nothing.
    for bad in (url[:-2], url.replace("maker_orders", "order_updates"), url + "x"):
        async with api.session.post(bad, data="List-Unsubscribe=One-Click") as response:
            assert response.status == 422 and (await response.json())["code"] == "token_invalid"
    assert (await api.call("GET", "/api/v1/notifications/preferences", maker.person))[1]["email"][
        "maker_orders"
    ]

    # Opening the link shows a page and changes nothing; the mail client's POST unsubscribes.
    async with api.session.get(url) as response:
        assert response.status == 200 and response.content_type == "text/html"
        assert "Stop emails about orders for your workshop?" in await response.text()
    assert (await api.call("GET", "/api/v1/notifications/preferences", maker.person))[1]["email"][
        "maker_orders"
    ]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with api.session.post(url, data="List-Unsubscribe=One-Click", headers=headers) as response:
        assert response.status == 200 and await response.json() == {"category": "maker_orders"}
    # Again, from the page's button in a browser: answered with a page, nothing more changed.
    async with api.session.post(
        url, data="List-Unsubscribe=One-Click", headers={**headers, "Accept": "text/html"}
    ) as response:
        assert response.status == 200 and "You are unsubscribed" in await response.text()
    _, prefs = await api.call("GET", "/api/v1/notifications/preferences", maker.person)
    assert prefs["email"] == {
        "order_updates": True,
        "maker_orders": False,
        "reviews": True,
        "marketing": False,
    }
    # Only theirs: the customer's choices are untouched.
    assert (await api.call("GET", "/api/v1/notifications/preferences", customer))[1]["email"]["maker_orders"]

    another = confirmed(customer, [maker], reference="FF-NEXT-0002")
    sent = await tell(ns, another, another.order_id)
    await smtp_server.wait_for(customer.email, subject="FF-NEXT-0002")
    await eventually(lambda: consumed(db, "notifications", sent.event_id), message="second order handled")
    owed = await db.fetch("SELECT recipient FROM notifications.deliveries WHERE event_id = $1", sent.event_id)
    assert [row["recipient"] for row in owed] == [customer.user_id]
    assert len([m for m in smtp_server.to(maker.person.email) if m.subject.startswith("New order")]) == 1


async def test_the_gateway_routes_notifications_and_lists_them_in_its_api_document(
    api: Api, stack: Stack
) -> None:
    async with api.session.get(api.url + "/openapi.json") as response:
        document = await response.json()
    assert {
        "/api/v1/notifications",
        "/api/v1/notifications/unread-count",
        "/api/v1/notifications/{id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/preferences",
        "/api/v1/notifications/unsubscribe",
    } <= document["paths"].keys()
    status, problem = await api.call("POST", f"/api/v1/notifications/{uuid.uuid4()}/read", person())
    assert (status, problem["code"]) == (404, "not_found")


async def test_the_gateways_own_events_bring_the_verification_and_reset_emails_whose_links_work(
    api: Api, smtp_server: SmtpCatcher
) -> None:
    """The real producer: an account registered at the gateway is verified, and its password
    reset, through the links of the emails the notifications service sends."""
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    password = "correct horse battery"
    status, account = await api.call(
        "POST",
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": "Grace Hopper", "role": "customer"},
    )
    assert status == 201, account
    [verify] = await smtp_server.wait_for(email, subject="Confirm")
    assert "Hello Grace Hopper" in verify.text
    [link] = [link for link in verify.links if "/verify-email?token=" in link]
    assert link.startswith(f"{PUBLIC_URL}/verify-email?token=")
    token = link.split("token=", 1)[1]
    assert (await api.call("POST", "/api/v1/auth/verify-email", json={"token": token}))[0] == 200
    # Single use: the same link again is refused.
    status, problem = await api.call("POST", "/api/v1/auth/verify-email", json={"token": token})
    assert (status, problem["code"]) == (422, "token_invalid")

    assert (await api.call("POST", "/api/v1/auth/password-reset", json={"email": email}))[0] == 202
    [reset] = await smtp_server.wait_for(email, subject="Reset")
    [link] = [link for link in reset.links if "/reset-password?token=" in link]
    new_password = "a much better passphrase"
    status, _ = await api.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": link.split("token=", 1)[1], "password": new_password},
    )
    assert status == 200
    status, tokens = await api.call(
        "POST", "/api/v1/auth/token", json={"email": email, "password": new_password}
    )
    assert status == 200 and tokens["access_token"]
    assert all(mail.header("List-Unsubscribe") is None for mail in smtp_server.to(email))
