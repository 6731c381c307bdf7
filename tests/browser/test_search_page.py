"""The search page in a real browser, on the search index: a misspelt word still finds the
piece, exact counts (no "+"), a query that finds nothing offers its corrected words as a link,
and the header's search box offers completions of what is typed (its own datalist)."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import Stack
from tests.browser.support import Gateway
from tests.support.harness import eventually


async def test_typos_corrections_and_completions(page: Page, gw: Gateway, stack: Stack) -> None:
    tag = "zq" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Mousehole Gems")
    listing = await support.published_listing(
        gw,
        maker_user,
        support.ring_listing(f"Blue lab-grown sapphire ring {tag}", description="Set by hand."),
    )

    async def searchable() -> bool:
        _, page_ = await gw.call("GET", "/listings", params={"q": tag}, expect=200)
        return [item["id"] for item in page_["items"]] == [listing["id"]]

    await eventually(searchable, timeout_s=10, message="the piece searchable")

    # "saphire": one letter short, still found; the count is exact.
    await page.goto(f"/search?q=saphire+{tag}")
    results = page.get_by_role("list", name="Results")
    await expect(results.get_by_role("listitem")).to_have_count(1)
    filters = page.get_by_role("form", name="Search filters")
    await expect(filters.get_by_label("Category").locator("option[value='ring']")).to_have_text("Ring (1)")
    await expect(page.locator(".page--search")).not_to_contain_text("+")

    # Nothing found: the corrected words are offered, and lead to the piece.
    await page.goto(f"/search?q={tag}+rnig")
    await expect(page.get_by_text("No pieces match")).to_be_visible()
    correction = page.get_by_role("link", name=f"“{tag} ring”")
    await expect(correction).to_be_visible()
    await correction.click()
    await expect(page).to_have_url(re.compile(rf"q={tag}(\+|%20)ring"))
    await expect(results.get_by_role("listitem")).to_have_count(1)

    # The header's box suggests completions of the word being typed.
    # With its suggestions the box is a combobox (a search box with a list to choose from).
    box = page.get_by_role("search").get_by_role("combobox", name="Search handcrafted jewellery")
    await box.fill(tag[:6])
    list_id = await box.get_attribute("list")
    assert list_id
    await expect(page.locator(f"datalist#{list_id} option")).to_have_count(1)
    assert await page.locator(f"datalist#{list_id} option").get_attribute("value") == tag
