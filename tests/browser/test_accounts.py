"""Accounts that last, in a real browser: the storefront renews a short-lived access token
silently (before it expires, and after a 401), confirms an address from the emailed link, resets
a forgotten password, and signs out everywhere. The links are read from the gateway's outbox,
where the gateway asks for the emails.

The gateway here issues access tokens that live three seconds (services accept a token up to
five seconds past its expiry). The sign-in belongs to the browser: its tabs share it, take turns
renewing it, and follow each other signing out and in."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DESKTOP
from tests.browser.support import PASSWORD, Gateway
from tests.support.accounts import emailed_token, run_database_dsn
from tests.support.harness import ServiceProcess, eventually

TOKEN_LIFETIME_S = 3
# The browser's session, shared by its tabs (core/session.js).
SESSION = "JSON.parse(localStorage.getItem('market.session'))"


@pytest.fixture(scope="module")
def short_lived(
    services_db: dict, browser_service_processes: Callable[..., ServiceProcess]
) -> ServiceProcess:
    """A gateway in front of the orders and makers services (the address book and a maker's
    application are all these pages use beyond accounts)."""
    orders = browser_service_processes("orders")
    makers = browser_service_processes("makers")
    return browser_service_processes(
        "gateway",
        GATEWAY_ORDERS_URL=orders.url,
        GATEWAY_MAKERS_URL=makers.url,
        GATEWAY_TOKEN_LIFETIME_S=str(TOKEN_LIFETIME_S),
        GATEWAY_RATE_LIMIT_PER_S="500",
        GATEWAY_RATE_LIMIT_BURST="2000",
        GATEWAY_LOGIN_ADDRESS_BURST="500",
    )


@pytest.fixture
async def person(
    browser: Browser, short_lived: ServiceProcess
) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """person() -> a page in a browser profile of its own, on the short-lived gateway."""
    contexts: list[BrowserContext] = []

    async def make() -> Page:
        context = await browser.new_context(
            base_url=short_lived.url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


def renewals(page: Page) -> list[int]:
    """The statuses of the token renewals the page asks for, as they come."""
    seen: list[int] = []
    page.on("response", lambda r: seen.append(r.status) if r.url.endswith("/api/v1/auth/refresh") else None)
    return seen


async def past_token_lifetime(page: Page) -> None:
    """Wait until an access token issued now is refused everywhere: past its expiry and the
    verifiers' five seconds of leeway."""
    until = await page.evaluate("Date.now()") + (TOKEN_LIFETIME_S + 6) * 1000
    await page.wait_for_function(f"() => Date.now() > {until}", polling=250, timeout=30_000)


async def signed_out(page: Page) -> None:
    """The browser's session is gone and the header offers signing in."""
    await page.wait_for_function("() => localStorage.getItem('market.session') === null")
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()


async def register(page: Page, role: str = "customer") -> str:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    await page.goto(f"/register?role={role}")
    await page.get_by_label("Your name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    return email


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


async def user_id(page: Page) -> str:
    return str(await page.evaluate(f"() => {SESSION}.user.user_id"))


async def add_address(page: Page, line1: str) -> None:
    await page.get_by_label("Full name").fill("Ada Lovelace")
    await page.get_by_label("Address line 1").fill(line1)
    await page.get_by_label("Town or city").fill("Sheffield")
    await page.get_by_label("Postcode").fill("S1 2AB")
    await page.get_by_role("button", name="Save address").click()
    await expect(page.get_by_role("list", name="Saved addresses")).to_contain_text(line1)


async def test_a_customer_stays_signed_in_past_the_access_tokens_lifetime(person) -> None:
    page = await person()
    renewed = renewals(page)
    await register(page)
    first = await page.evaluate(f"() => {SESSION}.token")

    # Long after the first access token died, the page still acts for the customer: it renews
    # the token before using it when it is about to expire.
    await past_token_lifetime(page)
    await page.goto("/account")
    await add_address(page, "1 Assay Lane")
    assert renewed and await page.evaluate(f"() => {SESSION}.token") != first

    # A call refused with 401 (the page took its dead token for a good one) is renewed and
    # sent again.
    await page.evaluate(
        f"""first => localStorage.setItem('market.session',
             JSON.stringify({{...{SESSION}, token: first, expiresAt: Date.now() + 600000}}))""",
        first,
    )
    before = len(renewed)
    await add_address(page, "2 Hallmark Row")
    assert len(renewed) > before
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    # Concurrent calls shared their renewals: none spent a refresh token twice.
    assert set(renewed) == {200}


async def a_token_lifetime_later(page: Page) -> None:
    """Wait one access-token lifetime: every token the browser held is due for renewal."""
    until = await page.evaluate("Date.now()") + TOKEN_LIFETIME_S * 1000
    await page.wait_for_function(f"() => Date.now() > {until}", polling=100, timeout=10_000)


# At the time given, ask the API who is signed in (through the storefront's own client).
AT = """async (at) => {
  const api = await import('/js/core/api.js');
  await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
  return (await api.get('/auth/me')).email;
}"""


async def shows_the_address_book(page: Page, line1: str) -> None:
    await page.goto("/account")
    await expect(page.get_by_role("list", name="Saved addresses")).to_contain_text(line1)
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


async def test_the_tabs_of_a_browser_share_one_sign_in_that_outlives_them(person) -> None:
    first = await person()
    context = first.context
    spent: list[str] = []
    context.on(
        "request",
        lambda r: (
            spent.append(r.post_data_json["refresh_token"])
            if r.url.endswith("/api/v1/auth/refresh")
            else None
        ),
    )
    email = await register(first)
    await first.goto("/account")
    await add_address(first, "3 Bezel Yard")
    second = await context.new_page()  # a duplicated tab: the same refresh token
    await shows_the_address_book(second, "3 Bezel Yard")

    # Over several lifetimes both tabs call the API at the same moment, their token due: they
    # take turns renewing, the one that waited takes the tokens the other brought, and no
    # refresh token is spent twice (the gateway would take that for theft and end the sign-in).
    for _ in range(4):
        at = await first.evaluate("Date.now()") + TOKEN_LIFETIME_S * 1000
        assert await asyncio.gather(first.evaluate(AT, at), second.evaluate(AT, at)) == [email] * 2
    assert len(spent) >= 4 and len(set(spent)) == len(spent)
    await shows_the_address_book(first, "3 Bezel Yard")
    await shows_the_address_book(second, "3 Bezel Yard")

    # The sign-in outlives its tabs: a tab opened after they closed is signed in.
    await first.close()
    await second.close()
    later = await context.new_page()
    await a_token_lifetime_later(later)
    await shows_the_address_book(later, "3 Bezel Yard")

    # Signing out in one tab signs the others out: a page for the signed-in sends them to sign
    # in; signing in again there reaches the other tab too.
    other = await context.new_page()
    await shows_the_address_book(other, "3 Bezel Yard")
    await later.get_by_role("button", name="Sign out", exact=True).click()
    await signed_out(other)
    await expect(other).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    await sign_in(later, email)
    await expect(other.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert len(set(spent)) == len(spent)


async def test_following_the_emailed_link_confirms_the_address(person, short_lived: ServiceProcess) -> None:
    page = await person()
    email = await register(page, "maker")
    await page.goto("/account")
    await expect(page.locator("[data-email-verified='false']")).to_be_visible()
    # The application says, before the maker tries, that submitting waits for the address.
    async with aiohttp.ClientSession() as http:
        maker = await Gateway(short_lived.url, http).sign_in(email, PASSWORD)
        draft = {"handle": f"studio-{uuid.uuid4().hex[:8]}", "display_name": "Lovelace Studio"}
        await Gateway(short_lived.url, http).call(
            "POST", "/makers", token=maker.token, json=draft, expect=201
        )
    await page.goto("/maker")
    await expect(page.locator("[data-email-unverified]")).to_contain_text("Confirm your email address")

    token = await emailed_token(await user_id(page))
    await page.goto(f"/verify-email?token={token}")
    await expect(page.locator("[data-verified]")).to_contain_text("is confirmed")
    # The tab's tokens now say so, without signing in again.
    assert await page.evaluate(f"() => {SESSION}.user.email_verified") is True
    await page.goto("/account")
    await expect(page.locator("[data-email-verified='true']")).to_be_visible()
    await page.goto("/maker")
    await expect(page.get_by_role("button", name="Submit for review")).to_be_visible()
    await expect(page.locator("[data-email-unverified]")).to_have_count(0)

    # A link works once.
    await page.goto(f"/verify-email?token={token}")
    await expect(page.locator(".error-box")).to_have_attribute("data-code", "token_invalid")
    await expect(page.locator(".error-box")).to_contain_text("already used or has expired")


async def test_a_changed_address_is_confirmed_from_the_link_sent_to_it(person) -> None:
    page = await person()
    await register(page)
    uid = await user_id(page)
    await page.goto("/account")
    await page.get_by_text("Change your email address").click()
    form = page.get_by_role("form", name="Change your email address")
    await form.get_by_label("New email address").fill(f"moved-{uuid.uuid4().hex[:8]}@example.com")
    await form.get_by_label("Current password").fill("not my password")
    await form.get_by_role("button", name="Change email address").click()
    await expect(form.locator(".form-errors")).to_have_attribute("data-code", "password_incorrect")

    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    await form.get_by_label("New email address").fill(new_email)
    await form.get_by_label("Current password").fill(PASSWORD)
    await form.get_by_role("button", name="Change email address").click()
    await expect(page.locator("[data-email-verified='false']")).to_contain_text(new_email)

    token = await emailed_token(uid)
    await page.goto(f"/verify-email?token={token}")
    await expect(page.locator("[data-verified]")).to_contain_text(new_email)
    await page.goto("/account")
    await expect(page.locator("[data-email-verified='true']")).to_contain_text(new_email)


async def test_a_forgotten_password_is_reset_from_the_emailed_link(person) -> None:
    elsewhere, page = await person(), await person()
    email = await register(elsewhere)
    uid = await user_id(elsewhere)

    await page.goto("/login")
    await page.get_by_role("link", name="Choose a new one").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Email me a link").click()
    await expect(page.locator("[data-reset-requested]")).to_contain_text("If an account uses")

    token = await emailed_token(uid, "password_reset_requested")
    await page.goto(f"/reset-password?token={token}")
    await page.locator("input[name='password']").fill("short")
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.locator(".form-errors")).to_have_attribute("data-code", "weak_password")
    await page.locator("input[name='password']").fill("a brand new passphrase")
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.get_by_label("Email")).to_have_value(email)
    await sign_in(page, email, "a brand new passphrase")

    # The sign-in made before the reset ends at its next renewal.
    await past_token_lifetime(elsewhere)
    await elsewhere.goto("/account")
    await signed_out(elsewhere)


async def test_signing_out_everywhere_ends_every_sign_in(person) -> None:
    laptop, phone = await person(), await person()
    email = await register(laptop)
    await sign_in(phone, email)

    await laptop.goto("/account")
    await laptop.get_by_role("button", name="Sign out everywhere").click()
    await expect(laptop.get_by_text("You are signed out on every device")).to_be_visible()
    await expect(laptop.get_by_role("link", name="Sign in")).to_be_visible()

    await past_token_lifetime(phone)
    await phone.goto("/account")
    await signed_out(phone)


async def test_signing_out_revokes_the_sign_in(person) -> None:
    page = await person()
    await register(page)
    uid = uuid.UUID(await user_id(page))
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    # The page forgets the sign-in at once; the gateway hears of it from a request that
    # outlives the page's own work.
    db = await asyncpg.connect(run_database_dsn())
    try:
        reason = "SELECT revoked_reason FROM identity.sign_ins WHERE user_id = $1"
        assert await eventually(lambda: db.fetchval(reason, uid)) == "logout"
    finally:
        await db.close()
