"""What the storefront says, read as a person would: refusals in sentences (never a code, an
HTTP title or a schema message), a ring size's hint gone once a size is chosen, a thank-you on
an order confirmed before its page first showed, parcels named by their maker and countries by
name, one set of search filters (in a drawer on a phone), tabs a phone can reach, and a review
form that decides nothing for the reviewer."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word
from tests.browser.test_layout import signed_in

PHONE = {"width": 390, "height": 844}
# Text meant for programs: HTTP titles, schema messages, codes, a price that is not a number.
MACHINE_TEXT = re.compile(
    r"Unauthorized|Validation failed|Unprocessable|Input should|Field required|NaN|"
    r"\b[a-z]+_[a-z_]+\b"
)


async def said_in_words(where: Locator) -> None:
    """This part of the page holds no text meant for programs."""
    text = await where.inner_text()
    found = MACHINE_TEXT.search(text)
    assert not found, f"text meant for programs: {found.group(0)!r} in {text!r}"


async def test_refusals_are_said_in_words(page: Page, gw: Gateway, stack: Stack) -> None:
    # A sign-in refused.
    customer = await gw.register("customer", "Grace Hopper")
    await page.goto("/login")
    await page.get_by_label("Email").fill(customer.email)
    await page.get_by_label("Password").fill("not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    errors = page.locator("form .form-errors")
    await expect(errors).to_contain_text("We could not sign you in")
    await expect(errors).to_have_attribute("data-code", "unauthorized")
    await said_in_words(page.locator("main"))

    # A price that is not an amount is refused by the page itself, before any search.
    await page.goto("/search")
    filters = page.get_by_role("form", name="Search filters")
    await filters.get_by_label("Min price (£)").fill("twelve")
    await filters.get_by_role("button", name="Apply filters").click()
    error = filters.locator("[data-field-loc='min_price'] .field-error")
    await expect(error).to_have_text("Enter an amount such as 25 or 25.50.")
    await expect(error).to_have_attribute("data-code", "invalid_amount")
    assert "min_price" not in page.url
    # The lowest price above the highest, likewise.
    await filters.get_by_label("Min price (£)").fill("90")
    await filters.get_by_label("Max price (£)").fill("10")
    await filters.get_by_role("button", name="Apply filters").click()
    await expect(filters.locator("[data-field-loc='max_price'] .field-error")).to_contain_text(
        "must not be less"
    )
    assert "max_price" not in page.url
    await said_in_words(filters)
    # A hand-typed link: the prices left out and said so; no "From £NaN" chip, no refusal.
    await page.goto("/search?min_price=abc&max_price=1e3")
    await expect(page.locator("[data-dropped]")).to_contain_text("left out of the search")
    await expect(page.get_by_role("list", name="Active filters")).to_have_count(0)
    await expect(page.locator(".results__status")).not_to_contain_text("Searching")
    await expect(page.locator(".error-box")).to_have_count(0)
    await said_in_words(page.locator("[data-dropped]"))
    await said_in_words(page.locator(".results__status"))

    # A maker's publish refused: a draft without a photo.
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Lindisfarne Gold")
    await support.draft_listing(gw, maker_user, support.ring_listing(f"Plain band {word()}", photos=[]))
    await signed_in(page, maker_user)
    await page.goto("/maker?tab=listings")
    await page.get_by_role("button", name="Publish").first.click()
    refusal = page.locator(".error-box")
    await expect(refusal).to_be_visible()
    await expect(refusal.locator("[data-code='photos_required']")).to_have_count(1)
    await expect(refusal).to_contain_text("photo")
    await said_in_words(refusal)


async def test_the_ring_size_hint_goes_once_a_size_is_chosen(page: Page, gw: Gateway, stack: Stack) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Bamburgh Rings")
    ring = await support.published_listing(gw, maker_user, support.ring_listing(f"Court band {word()}"))
    await page.goto(f"/listings/{ring['id']}")
    buy = page.get_by_role("form", name="Personalise and add to basket")
    await buy.get_by_role("button", name="Add to basket").click()
    await expect(buy.locator(".field-error")).to_contain_text("Choose a ring size")
    await buy.get_by_label("Ring size").select_option(index=1)
    await expect(buy.get_by_text("Choose a ring size")).to_have_count(0)
    await expect(buy.locator(".form-errors")).to_have_count(0)
    await expect(buy.get_by_label("Ring size")).not_to_have_attribute("aria-invalid", "true")


async def test_a_fast_order_is_thanked_and_its_parcel_named_by_its_maker(
    page: Page, gw: Gateway, stack: Stack
) -> None:
    maker_user, maker = await support.approved_maker(gw, stack.operator, "Ada Metalworks")
    ring = await support.published_listing(gw, maker_user, support.ring_listing(f"Twist ring {word()}"))
    customer = await gw.register("customer", "Ada Customer")
    # Confirmed before its page is first shown, as a fast order is.
    order = await support.confirmed_order(gw, customer, ring["id"], {"ring_size_mm": 54})
    await signed_in(page, customer)
    await page.goto(f"/orders/{order['id']}?placed=1")
    await expect(page.locator("[data-order-status]")).to_contain_text("Confirmed")
    await expect(page.locator(".placed-notice")).to_have_text(
        f"Thank you — your order {order['reference']} is placed."
    )
    parcel = page.locator(f".maker-order[data-maker-id='{maker['id']}']")
    await expect(parcel.get_by_role("heading", level=3)).to_contain_text(
        f"Parcel from {maker['display_name']}"
    )
    await expect(parcel.get_by_role("heading", level=3)).not_to_contain_text("Parcel 1")
    facts = page.locator(".order-page > .facts")
    await expect(facts).to_contain_text("United Kingdom")
    await expect(facts).not_to_contain_text(re.compile(r"\bGB\b"))

    # Without ?placed (a later visit) there is no thank-you.
    await page.goto(f"/orders/{order['id']}")
    await expect(page.locator("[data-order-status]")).to_contain_text("Confirmed")
    await expect(page.locator(".placed-notice")).to_have_count(0)


async def test_search_has_one_set_of_filters_in_a_drawer_on_a_phone(
    gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    tag = word()
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Alnwick Silver")
    await support.published_listing(gw, maker_user, support.ring_listing(f"Hammered band {tag}"))
    await support.published_listing(
        gw,
        maker_user,
        support.ring_listing(
            f"Hammered pendant {tag}",
            category="pendant",
            options={"chain_lengths_cm": [40, 45]},
            stones=[],
            sourcing_claims=[],
        ),
    )

    # A wide screen: one form beside the results, its choices counted.
    desktop = await (await new_context()).new_page()
    await desktop.goto(f"/search?q={tag}")
    await expect(desktop.get_by_role("list", name="Results").get_by_role("listitem")).to_have_count(2)
    await expect(desktop.get_by_role("form", name="Search filters")).to_have_count(1)
    await expect(desktop.get_by_label("Category")).to_have_count(1)
    await expect(desktop.get_by_text("Refine by")).to_have_count(0)
    await expect(desktop.get_by_label("Category").locator("option[value='ring']")).to_have_text("Ring (1)")
    await expect(desktop.get_by_role("button", name=re.compile("^Filters"))).to_be_hidden()

    # A phone: the results come first; the filters open in a drawer that counts.
    phone = await (await new_context(viewport=PHONE)).new_page()
    await phone.goto(f"/search?q={tag}")
    results = phone.get_by_role("list", name="Results")
    await expect(results.get_by_role("listitem")).to_have_count(2)
    await expect(phone.get_by_role("form", name="Search filters")).to_be_hidden()
    first = await results.get_by_role("listitem").first.bounding_box()
    assert first is not None and first["y"] < PHONE["height"], "the first result is below the first screen"
    await phone.get_by_role("button", name=re.compile("^Filters")).click()
    drawer = phone.get_by_role("dialog", name="Filters")
    await expect(drawer).to_be_visible()
    show = drawer.get_by_role("button", name=re.compile(r"^Show \d+ results?$"))
    await expect(show).to_have_text("Show 2 results")
    await drawer.get_by_label("Category").select_option("ring")
    await expect(show).to_have_text("Show 1 result")
    await show.click()
    await expect(phone).to_have_url(re.compile(r"category=ring"))
    await expect(results.get_by_role("listitem")).to_have_count(1)
    await expect(phone.get_by_role("dialog")).to_have_count(0)


async def every_tab_reachable(page: Page, path: str) -> None:
    await page.goto(path)
    tabs = page.locator(".tabs a")
    await expect(tabs.first).to_be_visible()
    count = await tabs.count()
    assert count > 1
    width = page.viewport_size["width"] if page.viewport_size else PHONE["width"]
    for index in range(count):
        box = await tabs.nth(index).bounding_box()
        text = await tabs.nth(index).inner_text()
        assert box is not None, f"{path}: tab {text} not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{path}: tab {text} off the screen"


async def test_tabs_are_reachable_on_a_phone(gw: Gateway, stack: Stack, new_context: NewContext) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Berwick Bench")
    maker_page = await (await new_context(viewport=PHONE)).new_page()
    await signed_in(maker_page, maker_user)
    await every_tab_reachable(maker_page, "/maker?tab=listings")
    await expect(maker_page.get_by_role("link", name="Commissions")).to_be_in_viewport()
    await expect(maker_page.get_by_role("link", name="Payouts")).to_be_in_viewport()

    operator_page = await (await new_context(viewport=PHONE)).new_page()
    await signed_in(operator_page, stack.operator)
    await every_tab_reachable(operator_page, "/ops")
    await every_tab_reachable(operator_page, "/ops?tab=makers")


async def test_the_review_form_decides_nothing_for_the_reviewer(
    page: Page, gw: Gateway, stack: Stack
) -> None:
    _, maker = await support.submitted_maker(gw, "Hexham Hammers")

    await sign_in(page, stack.operator, "/ops?tab=review")
    card = page.locator(f".review-card[data-maker-id='{maker['id']}']")
    form = card.locator("form.review-form")
    await expect(form.get_by_role("radio")).to_have_count(3)
    await expect(form.locator("input[type='radio']:checked")).to_have_count(0)
    await form.get_by_role("button", name="Record decision").click()
    error = form.locator("[data-field-loc='decision'] .field-error")
    await expect(error).to_have_text("Choose a decision: approve, request changes or reject.")
    await expect(error).to_have_attribute("data-code", "decision_required")
    _, still = await gw.call("GET", f"/makers/{maker['id']}", token=stack.operator.token, expect=200)
    assert still["status"] == "submitted"

    # Asking for changes without a note is refused in words, not as note_required.
    await form.get_by_label("Request changes").check()
    await form.get_by_role("button", name="Record decision").click()
    await expect(form.locator(".form-errors")).to_be_visible()
    await said_in_words(form)
