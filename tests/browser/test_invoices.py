"""References and invoices in a real browser: the customer's order page names the order by its
reference, each parcel links its invoice, and the invoice opens with the seller's legal name, VAT
number and the VAT included; the maker keeps their VAT number on their record in words."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word


async def test_the_order_page_names_the_order_and_opens_each_parcels_invoice(
    page: Page, gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Bramble Metalworks")

    # The maker registers for VAT on their record: a wrong number is refused in words first.
    maker_page = await (await new_context()).new_page()
    await sign_in(maker_page, maker_user, "/maker?tab=application")
    vat_form = maker_page.locator("form.vat-form")
    await vat_form.get_by_label("VAT number").fill("GB 999 9999 74")
    await vat_form.get_by_role("button", name="Save VAT number").click()
    await expect(vat_form).to_contain_text("exactly as on your VAT registration certificate")
    await expect(vat_form).not_to_contain_text("vat_number_invalid")
    await vat_form.get_by_label("VAT number").fill("GB 999 9999 73")
    await vat_form.get_by_role("button", name="Save VAT number").click()
    await expect(maker_page.get_by_text("Your VAT number is saved.")).to_be_visible()

    listing = await support.published_listing(
        gw, maker_user, support.ring_listing(f"Bramble band {word()}", sourcing_claims=[])
    )
    customer = await gw.register("customer", "Elizabeth Gaskell")
    await support.orders_knows(gw, customer, listing["id"])
    line = {"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": 54}}
    order = await support.once_confirmed(gw, customer, await support.placed_order(gw, customer, [line]))
    reference = order["reference"]
    assert re.fullmatch(r"FF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)

    await sign_in(page, customer, "/orders")
    await expect(page.locator(f".row-card[data-order-id='{order['id']}']")).to_contain_text(
        f"Order {reference}"
    )
    await page.goto(f"/orders/{order['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {reference}")
    parcel = page.locator(".maker-order")
    await expect(parcel.get_by_role("heading", level=3)).to_contain_text("Parcel from Bramble Metalworks")
    await expect(parcel).to_contain_text(f"{reference}-1")

    await parcel.get_by_role("link", name=f"Invoice {reference}-1").click()
    await expect(page).to_have_url(re.compile(rf"/invoices/{order['maker_orders'][0]['id']}$"))
    invoice = page.locator("article.invoice")
    await expect(invoice.get_by_role("heading", level=1)).to_have_text(f"Invoice {reference}-1")
    await expect(invoice).to_contain_text("Bramble Metalworks Ltd")
    await expect(invoice).to_contain_text("GB999999973")
    await expect(invoice).to_contain_text("Silver 925 (sterling)")
    await expect(invoice).to_contain_text("Hallmarked at Sheffield, sponsor's mark FFH")
    await expect(invoice).to_contain_text("£145.00")
    await expect(invoice).to_contain_text("Including VAT at 20%")
    await expect(invoice).to_contain_text("£24.17")  # 14500 / 6 = 2416.67
    await expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
