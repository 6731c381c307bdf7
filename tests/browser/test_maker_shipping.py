"""A maker sets where they ship, and at what price, from the dashboard's Shipping tab in a real
browser (desktop and a 390×844 phone); each refusal is said in words beside the field it is
about, never as a code (axe finds nothing wrong with the form showing one); the maker's public page
then says where they ship."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_accessibility import Audit
from tests.browser.test_journeys import sign_in

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
async def test_a_maker_sets_their_shipping_and_customers_see_where_they_ship(
    new_context: NewContext, gw: Gateway, stack: Stack, viewport: str
) -> None:
    maker_user, maker = await support.approved_maker(gw, stack.operator, "Coastline Silver")
    context = await (new_context(PHONE) if viewport == "phone" else new_context())
    page: Page = await context.new_page()
    await sign_in(page, maker_user, "/maker")
    await page.get_by_role("link", name="Shipping").click()
    form = page.locator("form.shipping-form")
    uk = form.locator("fieldset[data-zone='uk']")
    europe = form.locator("fieldset[data-zone='europe']")

    # A maker who never set a profile ships to the UK only, free.
    await expect(uk.get_by_label("We ship here")).to_be_checked()
    await expect(uk.get_by_label("First item (£)")).to_have_value("0.00")
    await expect(europe.get_by_label("We ship here")).not_to_be_checked()

    # Nowhere ticked: refused in words.
    await uk.get_by_label("We ship here").uncheck()
    await form.get_by_role("button", name="Save shipping").click()
    await expect(form.locator(".form-errors")).to_contain_text("Tick at least one area you ship to")

    # Europe priced, but the days in the post the wrong way round: the server's refusal, in words.
    await uk.get_by_label("We ship here").check()
    await uk.get_by_label("First item (£)").fill("3.95")
    await uk.get_by_label("Each additional item (£)").fill("1")
    await uk.get_by_label("Free over (£, optional)").fill("50")
    await europe.get_by_label("We ship here").check()
    await europe.get_by_label("First item (£)").fill("12")
    await europe.get_by_label("Each additional item (£)").fill("3")
    await europe.get_by_label("At least").fill("7")
    await europe.get_by_label("At most").fill("3")
    await form.get_by_role("button", name="Save shipping").click()
    days_error = europe.locator("[data-field-loc='zones.europe.transit_days'] .field-error")
    await expect(days_error).to_contain_text("the shorter first")
    await expect(days_error).to_have_attribute("data-code", "transit_days_invalid")
    await expect(form).not_to_contain_text("transit_days_invalid")
    audit = Audit(page, viewport)  # the form with an error on it passes axe
    await audit.check("form.shipping-form .field-error", "shipping with an error")
    audit.assert_clean()

    await europe.get_by_label("At least").fill("3")
    await europe.get_by_label("At most").fill("7")
    await form.get_by_role("button", name="Save shipping").click()
    await expect(page.get_by_text("Your shipping is saved")).to_be_visible()
    _, profile = await gw.call("GET", f"/makers/{maker['id']}/shipping", expect=200)
    assert [(r["zone"], r["first_item"]["amount"], r["free_over"]) for r in profile["rates"]] == [
        ("uk", 395, {"amount": 5000, "currency": "GBP"}),
        ("europe", 1200, None),
    ]

    await page.goto(f"/makers/{maker['handle']}")
    shipping = page.locator(".maker-page__shipping")
    await expect(shipping).to_contain_text("Ships to: the United Kingdom and Europe")
    await expect(shipping).to_have_attribute("data-zones", "uk europe")
