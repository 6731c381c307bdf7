"""Being told, in a real browser: a customer stays signed in past the access token's lifetime
and sees the bell's count rise, without reloading, when the maker sends their parcel; the
/notifications page marks them read; the account page keeps their email choices.

The customer's browser talks to a gateway of its own whose access tokens live a few seconds, in
front of the stack's services (notifications among them, sending to the stack's aiosmtpd
server), so "past the token's lifetime" takes seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Page, Response, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Account, Gateway
from tests.browser.test_journeys import word
from tests.support.harness import ServiceProcess, eventually

TOKEN_LIFETIME_S = 4


@pytest.fixture(scope="module")
def short_tokens(stack: Stack, service_processes: Callable[..., ServiceProcess]) -> str:
    """The URL of a second gateway, in front of the stack's services, whose access tokens live
    TOKEN_LIFETIME_S seconds: the customer's browser uses it."""
    upstreams = {
        name: value for name, value in stack.gateway.env.items() if re.fullmatch(r"GATEWAY_\w+_URL", name)
    }
    gateway = service_processes(
        "gateway",
        **upstreams,
        GATEWAY_TOKEN_LIFETIME_S=str(TOKEN_LIFETIME_S),
        GATEWAY_RATE_LIMIT_PER_S="500",
        GATEWAY_RATE_LIMIT_BURST="2000",
        GATEWAY_LOGIN_ADDRESS_BURST="500",
    )
    return gateway.url


async def _sign_in(page: Page, base: str, account: Account, then: str) -> None:
    await page.goto(f"{base}/login?next={then}")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


async def _unread(gw: Gateway, account: Account) -> int:
    _, body = await gw.call("GET", "/notifications/unread-count", token=account.token, expect=200)
    return int(body["count"])


async def _checked_maker_order(gw: Gateway, stack: Stack) -> tuple[Account, Account, dict[str, Any]]:
    """A customer's confirmed order whose maker order is accepted and quality-checked."""
    maker, _ = await support.approved_maker(gw, stack.operator, "Lendal Rings")
    listing = await support.published_listing(
        gw, maker, support.ring_listing(f"Lendal band {word()}", sourcing_claims=[])
    )
    customer = await gw.register("customer", "Nell Notified")
    order = await support.confirmed_order(gw, customer, listing["id"], {"ring_size_mm": 54})
    await support.quality_checked(gw, maker, order)
    return customer, maker, order


async def test_a_customer_stays_signed_in_and_sees_the_bell_rise_when_the_parcel_is_sent(
    gw: Gateway, stack: Stack, short_tokens: str, new_context: NewContext
) -> None:
    customer, maker, order = await _checked_maker_order(gw, stack)
    # The receipt is the customer's first notification (and email).
    await eventually(lambda: _unread(gw, customer), timeout_s=support.EVENT_TIMEOUT_S, message="the receipt")
    before = await _unread(gw, customer)

    context = await new_context()
    page = await context.new_page()
    refreshes: list[float] = []

    def on_response(response: Response) -> None:
        if response.url.endswith("/api/v1/auth/refresh") and response.status == 200:
            refreshes.append(time.monotonic())

    page.on("response", on_response)
    signed_in_at = time.monotonic()
    await _sign_in(page, short_tokens, customer, f"/orders/{order['id']}")
    bell = page.locator("[data-bell]")
    await expect(bell).to_have_attribute("data-count", str(before))
    await expect(bell).to_have_accessible_name(f"Notifications, {before} unread")

    # The barrier: the storefront has renewed an access token that had run out (one refresh
    # later than the first token's lifetime), without the person doing anything.
    async def refreshed_after_expiry() -> bool:
        return any(at > signed_in_at + TOKEN_LIFETIME_S for at in refreshes)

    await eventually(
        refreshed_after_expiry, timeout_s=60, message="a silent refresh after the first token's lifetime"
    )

    part = order["maker_orders"][0]
    tracking = {"carrier": "Royal Mail", "tracking_number": "RM123456785GB"}
    await gw.call(
        "POST", f"/maker-orders/{part['id']}/dispatch", token=maker.token, expect=200, json=tracking
    )

    # The bell rises in the open page, with no reload, and the person is still signed in.
    await expect(bell).to_have_attribute("data-count", str(before + 1), timeout=45_000)
    await expect(bell).to_have_accessible_name(f"Notifications, {before + 1} unread")
    await expect(page).to_have_url(re.compile(rf"/orders/{order['id']}$"))
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # The bell leads to the notice of the parcel, unread; reading it takes the count down.
    await bell.click()
    await expect(page).to_have_url(re.compile(r"/notifications$"))
    dispatched = page.locator("[data-kind='parcel_dispatched']")
    await expect(dispatched).to_have_attribute("data-read", "false")
    await expect(dispatched).to_contain_text("Your parcel from Lendal Rings is on its way")
    await expect(dispatched).to_contain_text("Royal Mail RM123456785GB")
    await dispatched.get_by_role("button", name=re.compile("^Mark as read")).click()
    await expect(dispatched).to_have_attribute("data-read", "true")
    await expect(bell).to_have_attribute("data-count", str(before))
    await page.get_by_role("button", name="Mark all as read").click()
    await expect(page.locator("[data-read='false']")).to_have_count(0)
    await expect(bell).to_have_attribute("data-count", "0")
    assert await _unread(gw, customer) == 0

    # And the email came too, with the carrier, the tracking number and the order's page.
    [email] = await stack.mail.until(
        lambda mails: [m for m in mails if customer.email in m.to and "RM123456785GB" in m.text],
        message="the dispatch email",
    )
    assert any(link.endswith(f"/orders/{order['id']}") for link in email.links)


async def test_email_choices_are_kept_from_the_account_page(gw: Gateway, new_context: NewContext) -> None:
    customer = await gw.register("customer", "Olive Optout")
    page = await (await new_context()).new_page()
    await _sign_in(page, gw.url, customer, "/account")
    choices = page.get_by_role("group", name="Send me emails about")
    await expect(choices.get_by_label("My orders")).to_be_checked()
    await choices.get_by_label("My orders").uncheck()
    await page.get_by_role("button", name="Save email choices").click()
    await expect(page.get_by_text("Your email choices are saved.")).to_be_visible()
    _, kept = await gw.call("GET", "/notifications/preferences", token=customer.token, expect=200)
    assert kept["email"]["order_updates"] is False

    await page.reload()
    await expect(
        page.get_by_role("group", name="Send me emails about").get_by_label("My orders")
    ).not_to_be_checked()
