"""A return in a real browser: the customer returns one of two rings of a delivered parcel from
the order page (a request for more than they can return is refused in words), and the maker
receives it from the "Returns to receive" tab, which refunds the customer."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word


async def test_a_customer_returns_a_ring_and_the_maker_receives_it(
    page: Page, gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Whitby Jet Works")
    listing = await support.published_listing(
        gw, maker_user, support.ring_listing(f"Hammered band {word()}", sourcing_claims=[])
    )
    customer = await gw.register("customer", "Mary Shelley")
    await support.orders_knows(gw, customer, listing["id"])
    line = {"listing_id": listing["id"], "quantity": 2, "options": {"ring_size_mm": 54}}
    order = await support.once_confirmed(gw, customer, await support.placed_order(gw, customer, [line]))
    await support.delivered(gw, maker_user, stack.operator, order)

    await sign_in(page, customer, f"/orders/{order['id']}")
    parcel = page.locator(".maker-order[data-status='delivered']")
    await expect(parcel.locator(".returns-window")).to_contain_text("if you change your mind until")
    await parcel.get_by_text("Return items").click()
    form = parcel.locator("form.return-form")
    quantity = form.get_by_label("Hammered band")
    await quantity.fill("3")
    await form.get_by_role("button", name="Start the return").click()
    await expect(form.locator(".form-errors")).to_contain_text("more than you can still return")
    await expect(form.locator(".form-errors")).not_to_contain_text("quantity_exceeds_returnable")

    await quantity.fill("1")
    await form.get_by_label("I changed my mind").check()
    await form.get_by_label("Anything the maker should know").fill("Too wide for me")
    await form.get_by_role("button", name="Start the return").click()
    card = parcel.locator(".return-card[data-status='requested']")
    await expect(card).to_contain_text("On its way back")
    await expect(card).to_contain_text("1 × Hammered band")

    maker_page = await (await new_context()).new_page()
    maker_page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(maker_page, maker_user, "/maker?tab=returns")
    waiting = maker_page.locator(".return-card[data-status='requested']")
    await expect(waiting).to_contain_text("Too wide for me")
    await waiting.get_by_role("button", name="Received: refund the customer").click()
    received = maker_page.locator(".return-card[data-status='refunded']")
    await expect(received).to_contain_text("Refunded")
    await expect(received).to_contain_text("£145.00")
    await expect(maker_page.locator(".return-card[data-status='requested']")).to_have_count(0)

    _, returns = await gw.call("GET", "/returns", token=customer.token, expect=200)
    [returned] = returns["items"]
    assert (returned["status"], returned["refund"]["amount"]["amount"]) == ("refunded", 14500)
    await page.reload()
    await expect(page.locator(".return-card[data-status='refunded']")).to_contain_text(
        "Received and refunded"
    )
