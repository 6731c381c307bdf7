"""Favourites and ratings in a real browser: a piece's rating (sent by reviews on the broker)
shows as stars and figures on its card and product page; someone signed out who presses a heart
is asked to sign in; a customer saves one piece from its card and another from its product page,
finds both again on /favourites (newest first, after a reload too), and lets one go."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from shared.contracts.reviews import RatingsChanged, RatingSummary
from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word
from tests.support.catalogue import publish
from tests.support.harness import TestEnvironment, eventually


def summary(ratings: list[int], version: int) -> RatingSummary:
    return RatingSummary.model_validate(
        {
            "count": len(ratings),
            "total": sum(ratings),
            "histogram": {str(stars): ratings.count(stars) for stars in range(1, 6)},
            "version": version,
        }
    )


def heart(page: Page, title: str):
    return page.get_by_role("button", name=f"Save {title} to favourites")


async def test_a_customer_saves_pieces_and_finds_them_again_on_favourites(
    gw: Gateway, stack: Stack, new_context: NewContext, test_env: TestEnvironment
) -> None:
    tag = word()
    maker, record = await support.approved_maker(gw, stack.operator, "Whitby Jet Works")
    rated = await support.published_listing(gw, maker, support.ring_listing(f"Whitby signet {tag}"))
    plain = await support.published_listing(gw, maker, support.ring_listing(f"Whitby band {tag}"))

    # Two reviews of the signet (5 and 4), and three of the maker's pieces, as reviews says it.
    event = RatingsChanged(
        listing_id=uuid.UUID(rated["id"]),
        maker_id=uuid.UUID(record["id"]),
        listing=summary([5, 4], 1),
        maker=summary([5, 4, 3], 1),
    )
    await publish(test_env.namespace, event, "reviews", rated["id"], 1)

    async def rating_known() -> bool:
        _, listing = await gw.call("GET", f"/listings/{rated['id']}", expect=200)
        return bool(listing["rating"]["count"] == 2)

    await eventually(rating_known, timeout_s=15, message="the catalogue learnt the rating")

    # Signed out: the stars are on the card; the heart asks for a sign-in.
    page = await (await new_context()).new_page()
    await page.goto(f"/search?q={tag}")
    rated_card = page.locator(f"li.card[data-listing-id='{rated['id']}']")
    plain_card = page.locator(f"li.card[data-listing-id='{plain['id']}']")
    await expect(rated_card.locator(".card__rating")).to_contain_text("★★★★★ 4.5 (2)")
    await expect(rated_card.get_by_text("Rated 4.5 out of 5 from 2 reviews")).to_be_attached()
    await expect(plain_card.locator(".card__rating")).to_have_count(0)
    await expect(heart(page, rated["title"])).to_have_attribute("aria-pressed", "false")
    await heart(page, rated["title"]).click()
    await expect(page).to_have_url(re.compile(r"/login\?next="))

    # A customer saves the signet from its card and the band from its product page.
    customer = await gw.register("customer", "Freya Fond")
    await sign_in(page, customer, then=f"/search?q={tag}")
    await expect(page.locator(f"li.card[data-listing-id='{rated['id']}']")).to_be_visible()
    await heart(page, rated["title"]).click()
    await expect(heart(page, rated["title"])).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#status-region")).to_have_text(
        f"{rated['title']} is saved to your favourites."
    )

    await page.goto(f"/listings/{plain['id']}")
    save = page.get_by_role("button", name="Save to favourites")
    await expect(save).to_have_attribute("aria-pressed", "false")
    await expect(page.locator(".product__rating")).to_have_text("No reviews yet")
    await expect(page.locator(".product__maker-rating")).to_contain_text("Rated 4 out of 5 from 3 reviews")
    await save.click()
    await expect(save).to_have_attribute("aria-pressed", "true")
    await expect(page.locator(".favourite-count")).to_have_text("Saved by 1 person")

    # Both are on /favourites, the newest first, and stay there after a reload.
    await page.get_by_role("link", name="Favourites").click()
    await expect(page).to_have_url(re.compile(r"/favourites$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your favourites")
    cards = page.locator("li.card")
    await expect(cards).to_have_count(2)
    for reloaded in (False, True):
        if reloaded:
            await page.reload()
        await expect(cards.nth(0)).to_have_attribute("data-listing-id", plain["id"])
        await expect(cards.nth(1)).to_have_attribute("data-listing-id", rated["id"])
        await expect(heart(page, rated["title"])).to_have_attribute("aria-pressed", "true")
        await expect(cards.nth(1).locator(".card__rating")).to_contain_text("4.5 (2)")

    # The product page of the signet says it is saved, with its stars.
    await cards.nth(1).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(rated["title"])
    await expect(page.get_by_role("button", name="Save to favourites")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator(".product__rating")).to_contain_text("Rated 4.5 out of 5 from 2 reviews")

    # Let the signet go from /favourites: the heart says so, and it is gone once reloaded.
    await page.goto("/favourites")
    await heart(page, rated["title"]).click()
    await expect(heart(page, rated["title"])).to_have_attribute("aria-pressed", "false")
    await page.reload()
    await expect(cards).to_have_count(1)
    await expect(cards.nth(0)).to_have_attribute("data-listing-id", plain["id"])

    # Makers keep no favourites: no heart for them, and /favourites says whom it is for.
    theirs = await (await new_context()).new_page()
    await sign_in(theirs, maker, then=f"/listings/{plain['id']}")
    await expect(theirs.get_by_role("heading", level=1)).to_have_text(plain["title"])
    await expect(theirs.locator("[data-favourite]")).to_have_count(0)
    await expect(theirs.locator(".favourite-count")).to_have_text("Saved by 1 person")
    await theirs.goto("/favourites")
    await expect(theirs.get_by_text("This page is for customers.", exact=False)).to_be_visible()


async def test_favourites_says_what_to_do_when_nothing_is_saved(gw: Gateway, page: Page) -> None:
    customer = await gw.register("customer", "Nell New")
    await sign_in(page, customer, then="/favourites")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your favourites")
    await expect(page.get_by_text("You have not saved any pieces yet.", exact=False)).to_be_visible()
    await page.get_by_role("link", name="Browse pieces").click()
    await expect(page).to_have_url(re.compile(r"/search"))
