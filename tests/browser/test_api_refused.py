"""The storefront while the API refuses it, for its address's limit (429) or because the services
behind the gateway are down (503): the page still loads (its files never count against the API
limit) and says in words why parts of it are missing, never "Loading…" for ever."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import aiohttp
import pytest
from playwright.async_api import Browser, Response, expect

from services.gateway.app import SERVICE as GATEWAY
from shared.migrate import migrate
from tests.browser.conftest import DESKTOP
from tests.support.harness import ServiceProcess, TestEnvironment, free_port

# core/messages.js API_REFUSED[429] and [503]
BUSY = "The shop is very busy just now, so parts of this page could not be shown."
NOT_ANSWERING = "Part of the shop is not answering just now, so parts of this page could not be shown."


@pytest.fixture(scope="module")
async def gateway_db(test_env: TestEnvironment) -> None:
    """The gateway's schema alone: this page needs no other service."""
    await migrate(test_env.track(GATEWAY.settings_cls()), GATEWAY.migrations)


async def test_the_storefront_renders_and_says_why_while_the_api_limit_is_exhausted(
    browser: Browser, gateway_db: None, browser_service_processes: Callable[..., ServiceProcess]
) -> None:
    # A gateway of its own with a tiny limit (a token per 100 s), behind a "proxy" that says the
    # browser is at an address of this test's own, whose bucket is emptied before the page opens.
    gateway = browser_service_processes(
        "gateway",
        GATEWAY_RATE_LIMIT_BURST="3",
        GATEWAY_RATE_LIMIT_PER_S="0.01",
        GATEWAY_TRUSTED_PROXY_HOPS="1",
    )
    address = {"X-Forwarded-For": f"10.21.{random.randrange(256)}.{random.randrange(1, 255)}"}
    async with aiohttp.ClientSession(headers=address) as http:
        while True:
            async with http.get(gateway.url + "/api/v1/listings") as r:
                if r.status == 429:
                    break
    context = await browser.new_context(
        base_url=gateway.url, viewport=DESKTOP, locale="en-GB", extra_http_headers=address
    )
    try:
        page = await context.new_page()
        answers: list[Response] = []
        page.on("response", lambda answer: answers.append(answer))
        await page.goto("/")
        await expect(
            page.get_by_role("heading", name="Handcrafted jewellery, honestly described")
        ).to_be_visible()
        await expect(page.get_by_role("status").filter(has_text=BUSY)).to_be_visible()
        await expect(page.get_by_text("Loading", exact=False)).to_have_count(0)
        await expect(page.get_by_role("link", name="Rings", exact=True)).to_be_visible()  # what needs no API
        files = [a for a in answers if "/api/" not in a.url]
        api = [a for a in answers if "/api/" in a.url]
        assert files and all(a.status == 200 for a in files), [(a.url, a.status) for a in files]
        # Every module came by its fingerprinted name: the import map (allowed by the CSP) works.
        modules = [a.url for a in files if a.url.endswith(".js")]
        assert len(modules) > 5 and all(re.search(r"\.[0-9a-f]{12}\.js$", url) for url in modules), modules
        assert api and all(a.status == 429 for a in api), [(a.url, a.status) for a in api]
        # A page found through a link starts afresh, and says so again when still refused.
        await page.get_by_role("link", name="Browse", exact=True).first.click()
        await expect(page.get_by_role("status").filter(has_text=BUSY)).to_be_visible()
    finally:
        await context.close()


async def test_the_storefront_says_so_when_the_services_behind_the_gateway_are_down(
    browser: Browser, gateway_db: None, browser_service_processes: Callable[..., ServiceProcess]
) -> None:
    nowhere = {f"GATEWAY_{name}_URL": f"http://127.0.0.1:{free_port()}" for name in ("MAKERS", "CATALOGUE")}
    gateway = browser_service_processes("gateway", **nowhere)
    context = await browser.new_context(base_url=gateway.url, viewport=DESKTOP, locale="en-GB")
    try:
        page = await context.new_page()
        await page.goto("/")
        await expect(
            page.get_by_role("heading", name="Handcrafted jewellery, honestly described")
        ).to_be_visible()
        await expect(page.get_by_role("status").filter(has_text=NOT_ANSWERING)).to_be_visible()
        await expect(page.get_by_text("Loading", exact=False)).to_have_count(0)
    finally:
        await context.close()
