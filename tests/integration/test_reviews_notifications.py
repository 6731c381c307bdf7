"""The reviews and notifications services together: a new review brings its maker an email and an
in-app notification (the email only while they want review emails), and the maker's reply brings
the customer the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import asyncpg
import pytest

from tests.support.harness import ServiceProcess, TestEnvironment, eventually
from tests.support.notifications import PUBLIC_URL, approved_maker, person, register, start_notifications
from tests.support.orders import Api
from tests.support.reviews import Purchase, confirmed, delivered
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def services(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> tuple[ServiceProcess, ServiceProcess]:
    return service_processes("reviews"), start_notifications(service_processes, smtp_server)


@pytest.fixture
async def apis(
    services: tuple[ServiceProcess, ServiceProcess], mint: Callable[..., str]
) -> AsyncIterator[tuple[Api, Api]]:
    reviews, notifications = services
    async with aiohttp.ClientSession() as session:
        yield Api(session, reviews.url, mint), Api(session, notifications.url, mint)


async def a_delivered_purchase(ns: str, db: asyncpg.Connection) -> tuple[Purchase, str, str]:
    """A customer and an approved maker known to both services, and a delivered maker order;
    returns it with the customer's and the maker's email addresses."""
    customer = person(name="Ada Lovelace")
    await register(ns, db, customer)
    maker = await approved_maker(ns, db, name="Wren Silver")
    await eventually(
        lambda: db.fetchval("SELECT 1 FROM reviews.makers WHERE maker_id = $1", maker.maker_id),
        message="reviews knows the maker",
    )
    purchase = Purchase(
        customer_id=customer.user_id, maker_id=maker.maker_id, maker_user_id=maker.person.user_id
    )
    await confirmed(ns, db, purchase)
    await delivered(ns, db, purchase)
    return purchase, customer.email, maker.person.email


async def test_a_new_review_tells_its_maker_and_a_reply_tells_the_customer(
    apis: tuple[Api, Api], test_env: TestEnvironment, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    reviews, notifications = apis
    purchase, customer_email, maker_email = await a_delivered_purchase(test_env.namespace, db)
    customer = reviews.mint("customer", purchase.customer_id)
    maker = reviews.mint("maker", purchase.maker_user_id)
    review = await reviews.ok(
        "POST",
        "/api/v1/reviews",
        customer,
        status=201,
        json=purchase.review(rating=4, title="<i>Lovely</i> ring"),
    )

    [email] = await smtp_server.wait_for(maker_email, subject="reviewed your piece")
    assert "★★★★☆" in email.subject and "<i>Lovely</i> ring" in email.text
    assert f"{PUBLIC_URL}/maker?tab=reviews" in email.links
    assert "<i>Lovely</i>" not in email.html
    in_app = await notifications.ok("GET", "/api/v1/notifications", maker)
    assert next((n["kind"], n["title"], n["link"]) for n in in_app["items"]) == (
        "new_review",
        "New 4-star review",
        "/maker?tab=reviews",
    )

    await reviews.ok("POST", f"/api/v1/reviews/{review['id']}/reply", maker, json={"body": "Thank you!"})
    [told] = await smtp_server.wait_for(customer_email, subject="replied to your review")
    assert told.subject == "Wren Silver replied to your review"
    assert f"{PUBLIC_URL}/listings/{purchase.listing_id}#reviews" in told.links
    mine = await notifications.ok("GET", "/api/v1/notifications", customer)
    assert mine["items"][0]["kind"] == "review_replied"


async def test_a_maker_who_turned_review_emails_off_is_told_in_the_app_only(
    apis: tuple[Api, Api], test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    reviews, notifications = apis
    purchase, _, _ = await a_delivered_purchase(test_env.namespace, db)
    maker = reviews.mint("maker", purchase.maker_user_id)
    preferences = await notifications.ok("GET", "/api/v1/notifications/preferences", maker)
    await notifications.ok(
        "PUT",
        "/api/v1/notifications/preferences",
        maker,
        json={"email": {**preferences["email"], "reviews": False}},
    )
    await reviews.ok(
        "POST",
        "/api/v1/reviews",
        reviews.mint("customer", purchase.customer_id),
        status=201,
        json=purchase.review(),
    )

    async def told_in_app() -> list:
        items = (await notifications.ok("GET", "/api/v1/notifications", maker))["items"]
        return [n for n in items if n["kind"] == "new_review"]

    [notice] = [
        n for n in await eventually(told_in_app, message="in-app notice") if n["kind"] == "new_review"
    ]
    # The in-app notification and any email are written in one transaction: with the one there,
    # the absence of the other is final.
    owed = await db.fetchval(
        "SELECT count(*) FROM notifications.deliveries WHERE recipient = $1 AND kind = 'new_review'",
        purchase.maker_user_id,
    )
    assert owed == 0 and notice["title"] == "New 5-star review"
