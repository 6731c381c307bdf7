"""Parcels in a real browser, on a desktop and on a phone (390×844): a customer checks out to a
saved address (and the order keeps it after the address is deleted from the Account page); a
maker posts a parcel with every line of the address in front of them; an operator works the
dispatched queue, marking a parcel delivered."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import DESKTOP, NewContext, Stack
from tests.browser.support import Account, Gateway
from tests.browser.test_journeys import sign_in, word

PHONE_390 = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["desktop", "phone"])
HOME = {
    "name": "Rita Reviewer",
    "line1": "Flat 2",
    "line2": "14 Stonegate",
    "city": "York",
    "postcode": "YO1 8AZ",
    "country": "GB",
}


async def _ring(gw: Gateway, stack: Stack, maker_name: str) -> tuple[Account, dict[str, Any]]:
    maker_user, _ = await support.approved_maker(gw, stack.operator, maker_name)
    listing = await support.published_listing(
        gw, maker_user, support.ring_listing(f"Stonegate band {word()}", sourcing_claims=[])
    )
    return maker_user, listing


async def _fill_basket(page: Page, listing: dict[str, Any]) -> None:
    line = {
        "listing_id": listing["id"],
        "quantity": 1,
        "options": {"ring_size_mm": 54},
        "title": listing["title"],
        "price": listing["price"],
        "key": json.dumps([listing["id"], 54, None, None], separators=(",", ":")),
    }
    await page.evaluate("line => localStorage.setItem('market.basket', JSON.stringify([line]))", line)


@VIEWPORTS
async def test_a_customer_checks_out_to_a_saved_address(
    gw: Gateway, stack: Stack, new_context: NewContext, viewport: dict[str, int]
) -> None:
    _, listing = await _ring(gw, stack, "Stonegate Rings")
    customer = await gw.register("customer", "Rita Reviewer")
    await support.orders_knows(gw, customer, listing["id"])
    _, saved = await gw.call("POST", "/me/addresses", token=customer.token, expect=201, json=HOME)

    page = await (await new_context(viewport)).new_page()
    await sign_in(page, customer, "/account")
    book = page.get_by_role("list", name="Saved addresses")
    await expect(book).to_contain_text("14 Stonegate")
    await expect(book).to_contain_text("United Kingdom")

    await _fill_basket(page, listing)
    await page.goto("/checkout")
    choice = page.get_by_role("group", name="Deliver to")
    saved_radio = choice.get_by_label(re.compile(r"Rita Reviewer, Flat 2, 14 Stonegate, York, YO1 8AZ"))
    await expect(saved_radio).to_be_checked()
    # With a saved address chosen, no address is asked for.
    await expect(page.get_by_label("Address line 1")).to_be_hidden()
    await page.get_by_label("Card token (sandbox)").fill("tok_visa")
    await page.get_by_role("button", name="Place order").click()
    await expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}"))
    order_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    _, order = await gw.call("GET", f"/orders/{order_id}", token=customer.token, expect=200)
    assert order["shipping_address"] == {k: v for k, v in saved.items() if k != "id"}

    # Deleted from the address book, the address stays on the order.
    await page.goto("/account")
    await page.get_by_role("button", name="Delete Rita Reviewer, Flat 2").click()
    await expect(page.get_by_text("You have no saved addresses")).to_be_visible()
    _, kept = await gw.call("GET", f"/orders/{order_id}", token=customer.token, expect=200)
    assert kept["shipping_address"] == order["shipping_address"]


@VIEWPORTS
async def test_a_new_address_is_saved_for_next_time_and_a_bad_postcode_is_said_in_words(
    gw: Gateway, stack: Stack, new_context: NewContext, viewport: dict[str, int]
) -> None:
    _, listing = await _ring(gw, stack, "Shambles Silver")
    customer = await gw.register("customer", "Ada Customer")
    await support.orders_knows(gw, customer, listing["id"])
    page = await (await new_context(viewport)).new_page()
    await sign_in(page, customer, "/account")
    await _fill_basket(page, listing)
    await page.goto("/checkout")
    await page.get_by_label("Full name").fill("Ada Customer")
    await page.get_by_label("Address line 1").fill("3 Shambles")
    await page.get_by_label("Town or city").fill("York")
    await page.get_by_label("Postcode").fill("YO1")
    await page.get_by_label("Card token (sandbox)").fill("tok_visa")
    await page.get_by_label("Save this address for next time").check()
    await page.get_by_role("button", name="Place order").click()
    error = page.locator(".field-error[data-code='postcode_invalid']")
    await expect(error).to_contain_text("Not a UK postcode")
    await page.get_by_label("Postcode").fill("yo1 7lx")
    await page.get_by_role("button", name="Place order").click()
    await expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}"))
    _, book = await gw.call("GET", "/me/addresses", token=customer.token, expect=200)
    assert [(a["line1"], a["postcode"]) for a in book["items"]] == [("3 Shambles", "YO1 7LX")]


async def _dispatchable(gw: Gateway, stack: Stack, maker_name: str) -> tuple[Account, dict[str, Any]]:
    """A maker and their accepted, quality-checked maker order, to HOME."""
    maker_user, listing = await _ring(gw, stack, maker_name)
    customer = await gw.register("customer", "Rita Reviewer")
    await gw.call("POST", "/me/addresses", token=customer.token, expect=201, json=HOME)
    await support.orders_knows(gw, customer, listing["id"])
    _, placed = await gw.call(
        "POST",
        "/orders",
        token=customer.token,
        expect=201,
        headers={"Idempotency-Key": word()},
        json={
            "lines": [{"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": 54}}],
            "shipping_address": HOME,
            "payment": {"token": "tok_visa"},
        },
    )
    order = await support.once_confirmed(gw, customer, placed)
    checked = await support.quality_checked(gw, maker_user, order)
    return maker_user, checked


@VIEWPORTS
async def test_a_maker_posts_a_parcel_with_the_whole_address_in_front_of_them(
    gw: Gateway, stack: Stack, new_context: NewContext, viewport: dict[str, int]
) -> None:
    maker_user, maker_order = await _dispatchable(gw, stack, "Petergate Gold")
    page = await (await new_context(viewport)).new_page()
    await sign_in(page, maker_user, "/maker?tab=orders")
    card = page.locator(f".maker-order[data-maker-order-id='{maker_order['id']}']")
    label = card.locator("[data-ship-to]")
    await expect(label).to_have_text(
        re.compile(r"Rita Reviewer\s*Flat 2\s*14 Stonegate\s*York\s*YO1 8AZ\s*United Kingdom")
    )
    await expect(card).to_contain_text("Dispatch by")
    await card.get_by_label("Carrier").fill("Royal Mail")
    await card.get_by_label("Tracking number").fill("RM123456785GB")
    await card.get_by_role("button", name="Mark as dispatched").click()
    await expect(
        page.locator(f".maker-order[data-maker-order-id='{maker_order['id']}'][data-status='dispatched']")
    ).to_contain_text("RM123456785GB")


@VIEWPORTS
async def test_an_operator_works_the_dispatched_queue(
    gw: Gateway, stack: Stack, new_context: NewContext, viewport: dict[str, int]
) -> None:
    maker_user, maker_order = await _dispatchable(gw, stack, "Coppergate Works")
    await gw.call(
        "POST",
        f"/maker-orders/{maker_order['id']}/dispatch",
        token=maker_user.token,
        expect=200,
        json={"carrier": "Royal Mail", "tracking_number": "RM9"},
    )
    page = await (await new_context(viewport)).new_page()
    await sign_in(page, stack.operator, "/ops?tab=parcels&queue=dispatch")
    # Each viewport's run adds a maker of this name: the filter tells them apart by handle.
    await page.get_by_label("Maker").select_option(value=maker_order["maker_id"])
    await page.get_by_role("button", name="Filter").click()
    row = page.locator(f".parcel-row[data-maker-order-id='{maker_order['id']}']")
    await expect(row).to_contain_text(maker_order["reference"])
    await expect(row).to_contain_text("Coppergate Works")
    await expect(row).to_contain_text("to York, United Kingdom")
    await expect(page.locator(".parcel-row")).to_have_count(1)
    await row.get_by_role("button", name=f"Mark {maker_order['reference']} delivered").click()
    await expect(page.get_by_text("No parcels are on their way.")).to_be_visible()

    await page.get_by_role("link", name="Refunds").click()
    delivered = page.locator(f".parcel-row[data-maker-order-id='{maker_order['id']}']")
    await expect(delivered).to_contain_text("Delivered")
    _, after = await gw.call(
        "GET", f"/maker-orders/{maker_order['id']}", token=stack.operator.token, expect=200
    )
    assert after["status"] == "delivered"
