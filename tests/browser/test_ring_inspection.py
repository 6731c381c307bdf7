"""A parcel of two rings of different sizes, inspected in a real browser: the maker measures each
ring against its own ordered size, and a size that does not match is refused on that ring's
field."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word


async def test_each_ring_of_a_parcel_is_measured_against_its_own_size(
    page: Page, gw: Gateway, stack: Stack
) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Staithes Rings")
    listing = await support.published_listing(
        gw, maker_user, support.ring_listing(f"Stacking ring {word()}", sourcing_claims=[])
    )
    customer = await gw.register("customer", "Mary Anning")
    await support.orders_knows(gw, customer, listing["id"])
    lines = [
        {"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": 50}},
        {"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": 60}},
    ]
    order = await support.once_confirmed(gw, customer, await support.placed_order(gw, customer, lines))
    maker_order_id = order["maker_orders"][0]["id"]

    await sign_in(page, maker_user, "/maker?tab=orders")
    card = page.locator(f".maker-order[data-maker-order-id='{maker_order_id}']")
    await card.get_by_role("button", name="Accept order").click()
    card = page.locator(f".maker-order[data-maker-order-id='{maker_order_id}']")
    await expect(card).to_have_attribute("data-status", "in_production")

    inspection = card.get_by_role("form", name="Quality inspection")
    await inspection.get_by_label("Hallmark").select_option("true")
    await inspection.get_by_label("Stones secure").select_option("true")
    rings = inspection.get_by_label("Measured size of")
    await expect(rings).to_have_count(2)
    first, second = rings.nth(0), rings.nth(1)
    await expect(first).to_have_value("50")
    await expect(second).to_have_value("60")

    # The larger ring measured at the smaller size: refused on that ring's field alone.
    await second.fill("50")
    await inspection.get_by_role("button", name="Record inspection").click()
    error = inspection.locator("[data-field-loc='checks.measured_ring_sizes_mm.1.mm'] .field-error")
    await expect(error).to_contain_text("does not match the size ordered")
    await expect(error).to_have_attribute("data-code", "ring_size_mismatch")
    await expect(
        inspection.locator("[data-field-loc='checks.measured_ring_sizes_mm.0.mm'] .field-error")
    ).to_have_count(0)

    await second.fill("59.6")
    await inspection.get_by_role("button", name="Record inspection").click()
    await expect(card).to_have_attribute("data-status", "quality_checked")
    _, detail = await gw.call("GET", f"/maker-orders/{maker_order_id}", token=maker_user.token, expect=200)
    measured = detail["quality_checks"][-1]["checks"]["measured_ring_sizes_mm"]
    assert [m["mm"] for m in measured] == [50, 59.6]
