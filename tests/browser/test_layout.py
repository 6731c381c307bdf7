"""The storefront on a phone (360 px wide): nothing scrolls sideways, every form control has a
label, the keyboard reaches the content first, and a failed call is explained, not hidden."""

from __future__ import annotations

import json
import re
import uuid

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import PHONE, NewContext, Stack
from tests.browser.support import Account, Gateway

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && !el.labels?.length
    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))"""

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# The page has drawn what it loads: no section still loading, no busy region. (Not the network
# falling idle: a signed-in page always holds the bell's long poll open.)
SETTLED = """() => !document.querySelector('main .loading, [aria-busy="true"]')"""


async def signed_in(page: Page, account: Account) -> None:
    """Start the browser session with an API-issued token, as the sign-in page would."""
    await page.goto("/")
    await page.evaluate(
        """([token, user]) => localStorage.setItem('market.session',
             JSON.stringify({ token, expiresAt: Date.now() + 600000, user }))""",
        [
            account.token,
            {
                "user_id": account.user_id,
                "email": account.email,
                "role": account.role,
                "display_name": account.display_name,
            },
        ],
    )


async def check_page(page: Page, path: str, ready: str) -> None:
    await page.goto(path)
    await expect(page.locator(ready).first).to_be_visible()
    await page.wait_for_function(SETTLED)
    assert await page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at {PHONE['width']} px"
    assert await page.evaluate(UNLABELLED_CONTROLS) == [], f"{path} has unlabelled controls"


async def test_every_page_fits_a_phone_and_labels_its_controls(
    new_context: NewContext, gw: Gateway, stack: Stack
) -> None:
    maker_user, maker = await support.approved_maker(gw, stack.operator, "Phone Friendly Rings")
    listing = await support.published_listing(
        gw,
        maker_user,
        support.ring_listing("A ring with a rather long title to see how it wraps on a narrow screen"),
    )
    customer = await gw.register("customer")
    new_maker = await gw.register("maker")

    page = await (await new_context(PHONE)).new_page()
    await check_page(page, "/", "h1")
    await check_page(page, "/search?category=ring", ".card")
    await check_page(page, f"/listings/{listing['id']}", "[data-disclosure='dealers_notice']")
    await check_page(page, f"/makers/{maker['handle']}", ".card")
    await check_page(page, "/login", "form")
    await check_page(page, "/register", "form")

    await signed_in(page, customer)
    await page.goto(f"/listings/{listing['id']}")
    await page.get_by_label("Ring size").select_option(index=3)
    await page.get_by_role("button", name="Add to basket").click()
    await check_page(page, "/basket", ".basket-line")
    await check_page(page, "/checkout", "form.checkout")
    await check_page(page, "/orders", "h1")
    await check_page(page, f"/makers/{maker['handle']}", "form textarea")  # the commission form
    await check_page(page, "/notifications", "h1")
    await check_page(page, f"/messages?listing_id={listing['id']}", "[data-compose-form] textarea")
    await check_page(page, "/account", "[data-email-preferences]")

    await signed_in(page, maker_user)
    await check_page(page, "/maker?tab=listings&listing=new", "form.listing-form")
    await page.get_by_role("button", name="Add a metal").click()
    await page.get_by_role("button", name="Add a stone").click()
    assert await page.evaluate(OVERFLOW) <= 0
    assert await page.evaluate(UNLABELLED_CONTROLS) == []
    await check_page(page, "/maker?tab=orders", "h2")
    await check_page(page, "/messages", "h1")

    await signed_in(page, new_maker)
    await check_page(page, "/maker", "form.application-form")
    await page.get_by_role("button", name="Add a sourcing claim").click()
    assert await page.evaluate(UNLABELLED_CONTROLS) == []

    await signed_in(page, stack.operator)
    await check_page(page, "/ops", "h2")


async def test_keyboard_skips_to_content_and_deep_links_survive_reload(page: Page) -> None:
    await page.goto("/search?q=sapphire&category=ring&sort=price_asc")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await page.reload()
    form = page.get_by_role("form", name="Search filters")
    await expect(form.get_by_label("Words")).to_have_value("sapphire")
    await expect(form.get_by_label("Category")).to_have_value("ring")
    await expect(form.get_by_label("Sort by")).to_have_value("price_asc")
    await expect(page.get_by_role("list", name="Active filters")).to_contain_text("Ring")


async def test_missing_pages_and_signed_out_visits_are_explained(page: Page) -> None:
    await page.goto(f"/listings/{uuid.uuid4()}")
    await expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
    await page.goto("/no/such/page")
    await expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    # A page that needs an account sends the visitor to sign in, and back afterwards.
    await page.goto("/orders")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Forders"))
    await expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


async def test_a_declined_card_is_shown_as_cancelled(page: Page, gw: Gateway, stack: Stack) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Declined Cards Ltd")
    listing = await support.published_listing(
        gw, maker_user, support.ring_listing("Plain band", options={"ring_size_mm": {"min": 50, "max": 60}})
    )
    customer = await gw.register("customer")
    await support.orders_knows(gw, customer, listing["id"])
    await signed_in(page, customer)
    await page.evaluate(
        """(line) => localStorage.setItem('market.basket', JSON.stringify([line]))""",
        {
            "key": "k",
            "listing_id": listing["id"],
            "title": "Plain band",
            "quantity": 1,
            "price": listing["price"],
            "options": {"ring_size_mm": 55},
        },
    )
    await page.goto("/checkout")
    for label, value in (
        ("Full name", "Ada"),
        ("Address line 1", "1 Road"),
        ("Town or city", "Leeds"),
        ("Postcode", "LS1 1AA"),
        ("Card token (sandbox)", "tok_declined"),
    ):
        await page.get_by_label(label).fill(value)
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("[data-order-status]")).to_contain_text("Cancelled")
    await expect(page.locator("[data-cancellation-reason]")).to_contain_text("The payment was declined")
    assert json.loads(await page.evaluate("localStorage.getItem('market.basket')")) == []
    # The pieces go back in the basket for another try.
    await page.get_by_role("button", name="Put the pieces back in your basket").click()
    await expect(page).to_have_url(re.compile(r"/checkout$"))
    await expect(page.locator(".summary-lines li")).to_contain_text("Plain band")
