"""Browser journeys against the whole stack: real makers, catalogue, orders, media, notifications
and gateway processes on the run's own database and broker namespace (emails to an aiosmtpd
server of the run's own), driven through Debian's Chromium with Playwright (never a downloaded
browser build).

A failing test leaves a full-page screenshot of every page it had open in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.browser.support import PASSWORD, Account, Gateway
from tests.support.harness import ROOT, ServiceProcess, TestEnvironment, spawner
from tests.support.smtp import SmtpCatcher

CHROMIUM = os.environ.get("MARKET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}

# Pages poll and services talk through events: give the UI time to catch up.
expect.set_options(timeout=30_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.timeout(240))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell that the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    url: str
    gateway: ServiceProcess
    operator: Account
    mail: SmtpCatcher  # where the notifications service sends every email


@pytest.fixture(scope="package")
def browser_service_processes(
    test_env: TestEnvironment, workdir: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    """Processes shared by the browser modules, stopped when they are done: a later module's
    stack in the same namespace must not find this one's relays holding the relay locks."""
    with spawner(test_env, workdir) as start:
        yield start


@pytest.fixture(scope="package")
async def stack(
    services_db: dict, browser_service_processes: Callable[..., ServiceProcess]
) -> AsyncIterator[Stack]:
    """Every service as a real process, the gateway in front, an operator account, and an
    aiosmtpd server the notifications service sends to."""
    start = browser_service_processes
    mail = SmtpCatcher().start()
    # No waiting period before a rejected maker may apply again, so a journey can reapply.
    makers = start("makers", MAKERS_REAPPLY_AFTER_DAYS="0")
    catalogue = start("catalogue")
    orders = start("orders")
    media = start("media")
    notifications = start("notifications", **mail.env)
    reviews = start("reviews")
    gateway = start(
        "gateway",
        GATEWAY_MAKERS_URL=makers.url,
        GATEWAY_CATALOGUE_URL=catalogue.url,
        GATEWAY_ORDERS_URL=orders.url,
        GATEWAY_MEDIA_URL=media.url,
        GATEWAY_NOTIFICATIONS_URL=notifications.url,
        GATEWAY_REVIEWS_URL=reviews.url,
        # One browser and the test's own API calls share 127.0.0.1: keep the per-address
        # limits out of the journeys' way (the limits have their own tests).
        GATEWAY_RATE_LIMIT_PER_S="500",
        GATEWAY_RATE_LIMIT_BURST="2000",
        GATEWAY_LOGIN_ADDRESS_BURST="500",
    )
    from services.gateway.accounts import create_operator_account

    email = "operator-browser@example.com"
    conn = await asyncpg.connect(services_db["gateway"].dsn())
    try:
        await create_operator_account(conn, email, PASSWORD, exist_ok=True)
    finally:
        await conn.close()
    async with aiohttp.ClientSession() as http:
        operator = await Gateway(gateway.url, http).sign_in(email, PASSWORD)
    yield Stack(gateway.url, gateway, operator, mail)
    mail.stop()


@pytest.fixture
async def gw(stack: Stack) -> AsyncIterator[Gateway]:
    """The public API, for the state a journey starts from."""
    async with aiohttp.ClientSession() as http:
        yield Gateway(stack.url, http)


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        # A missing browser is a missing test dependency, never a reason to pass quietly.
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


NewContext = Callable[..., Awaitable[BrowserContext]]


@pytest.fixture
async def new_context(
    browser: Browser, stack: Stack, request: pytest.FixtureRequest
) -> AsyncIterator[NewContext]:
    """new_context(viewport=DESKTOP) -> a fresh browser profile (its own sessionStorage and
    localStorage: one per person in the story). On failure every open page is photographed."""
    contexts: list[BrowserContext] = []

    async def make(viewport: dict[str, int] = DESKTOP) -> BrowserContext:
        context = await browser.new_context(
            base_url=stack.url, viewport=viewport, locale="en-GB", timezone_id="Europe/London"
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    for index, context in enumerate(contexts):
        if failed:
            await _screenshots(request.node.nodeid, index, context)
        await context.close()


async def _screenshots(nodeid: str, index: int, context: BrowserContext) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])
    for number, page in enumerate(context.pages):
        path = ARTIFACTS / f"{name}-context{index}-page{number}.png"
        try:
            await page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"could not save {path}: {exc}")


@pytest.fixture
async def page(new_context: NewContext) -> Page:
    """A desktop page in its own browser profile."""
    context = await new_context()
    return await context.new_page()
