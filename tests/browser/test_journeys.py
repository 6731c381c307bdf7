"""The storefront's three main journeys, end to end in a real browser:

1. a customer finds a piece by filters, personalises it (ring size, engraving), checks out with
   tok_visa and sees the order confirmed;
2. a maker applies, an operator approves, the maker publishes a listing and the piece appears
   in search;
3. a maker takes a maker order through acceptance, quality inspection and dispatch while the
   customer watches it arrive at "dispatched".

The starting state of each (an approved maker, a published piece, a confirmed order) is made
through the public API; the part each journey is about is done by clicking."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import PASSWORD, Account, Gateway
from tests.support.accounts import emailed_token


async def sign_in(page: Page, account: Account, then: str | None = None) -> None:
    await page.goto(f"/login?next={then}" if then else "/login")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def word() -> str:
    """A made-up word only this test's listings carry, so searches find exactly them."""
    return "zq" + uuid.uuid4().hex[:8]


# --- 1. find, personalise, buy -------------------------------------------------------------------


async def test_customer_finds_personalises_and_buys_a_ring(page: Page, gw: Gateway, stack: Stack) -> None:
    tag = word()
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Saltburn Silver")
    ring = await support.published_listing(
        gw,
        maker_user,
        support.ring_listing(
            f"Hammered band {tag}",
            description=f"A {tag} band in recycled sterling silver, set with a laboratory-grown sapphire.",
        ),
    )
    await support.published_listing(
        gw,
        maker_user,
        support.ring_listing(
            f"Gold pendant {tag}",
            category="pendant",
            options={"chain_lengths_cm": [40, 45]},
            price={"amount": 52000, "currency": "GBP"},
            stones=[],
            sourcing_claims=[],
            metals=[{"metal": "gold", "fineness": 750, "weight_g": 2.5}],
        ),
    )
    await support.orders_knows(gw, await gw.register("customer"), ring["id"])

    # A new customer registers.
    await page.goto("/register")
    await page.get_by_label("Buy jewellery").check()
    await page.get_by_label("Your name").fill("Ada Lovelace")
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # Search by words, then narrow with the filters: the query string mirrors the API's.
    await page.get_by_role("search").get_by_role("combobox").fill(tag)
    await page.get_by_role("search").get_by_role("button", name="Search").click()
    results = page.get_by_role("list", name="Results")
    await expect(results.get_by_role("listitem")).to_have_count(2)
    # One set of filters: each choice counts its matches.
    filters = page.get_by_role("form", name="Search filters")
    await expect(filters.get_by_label("Category").locator("option[value='ring']")).to_have_text("Ring (1)")
    await filters.get_by_label("Category").select_option("ring")
    await filters.get_by_label("Metal", exact=True).select_option("silver")
    await filters.get_by_label("Stone origin").select_option("lab_grown")
    await filters.get_by_label("Max price (£)").fill("200")
    await filters.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(re.compile(r"category=ring"))
    assert (
        "metal=silver" in page.url and "stone_origin=lab_grown" in page.url and "max_price=20000" in page.url
    )
    await expect(results.get_by_role("listitem")).to_have_count(1)

    # The search survives a reload (deep link), then the product page.
    await page.reload()
    await expect(results.get_by_role("listitem")).to_have_count(1)
    await results.get_by_role("link", name=re.compile(f"Hammered band {tag}")).click()
    await expect(page.get_by_role("heading", level=1, name=f"Hammered band {tag}")).to_be_visible()

    # Everything the page must disclose.
    await expect(page.get_by_role("table", name="Metals")).to_contain_text("925‰ (sterling)")
    await expect(page.get_by_role("table", name="Stones")).to_contain_text("Laboratory-grown")
    await expect(page.locator("[data-disclosure='dealers_notice']")).to_contain_text("Hallmarking Act 1973")
    await expect(page.locator("[data-disclosure='lab_grown_stone']")).to_be_visible()
    await expect(page.locator("[data-disclosure='stone_treatment']")).to_contain_text("heating")
    await expect(page.locator("[data-disclosure='hallmark']")).to_contain_text("Sheffield")
    # Fairmined is evidenced (a badge); recycled is only self-declared (words, not a badge).
    maker_card = page.get_by_role("region", name=re.compile("About the maker"))
    await expect(maker_card.get_by_role("list", name="Evidenced sourcing")).to_contain_text("Fairmined")
    await expect(maker_card.locator(".claims__self-declared")).to_contain_text("Self-declared by the maker")
    await expect(maker_card.get_by_role("list", name="Evidenced sourcing")).not_to_contain_text("Recycled")

    # Personalise: a ring size in UK letters and mm, and an engraving within its limit.
    buy = page.get_by_role("form", name="Personalise and add to basket")
    await buy.get_by_role("button", name="Add to basket").click()
    await expect(buy.locator(".field-error")).to_contain_text("Choose a ring size")
    size = buy.get_by_label("Ring size")
    await expect(size.locator("option", has_text="UK N½ — 54.4 mm (US 7)")).to_have_count(1)
    await size.select_option(label="UK N½ — 54.4 mm (US 7)")
    engraving = buy.get_by_label("Engraving (optional)")
    await engraving.fill("For ever and ever, Ada!")
    await expect(buy.get_by_text("23 of 20 characters — 3 too many")).to_be_visible()
    await engraving.fill("Always, Ada")
    await expect(buy.get_by_text("11 of 20 characters")).to_be_visible()
    await buy.get_by_role("button", name="Add to basket").click()
    await expect(page.get_by_role("link", name=re.compile(r"Basket.*1 item"))).to_be_visible()

    # The basket survives a reload (localStorage) and shows the choices.
    await page.goto("/basket")
    await page.reload()
    line = page.locator(".basket-line")
    await expect(line).to_contain_text("Ring size UK N½ · 54.4 mm · US 7")
    await expect(line).to_contain_text("Engraving “Always, Ada”")
    await expect(page.locator(".basket-summary")).to_contain_text("£160.00")
    # Delivery priced per maker (a maker without a shipping profile delivers free in the UK).
    parcel = page.locator(".basket-summary .delivery-parcel")
    await expect(parcel).to_contain_text("Free delivery")
    await expect(parcel).to_contain_text(
        re.compile(r"Arrives between \w{3} \d{1,2} \w{3} and \w{3} \d{1,2} \w{3}")
    )
    await page.get_by_role("link", name="Check out").click()

    # Checkout with the sandbox card.
    await expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    await expect(page.get_by_text("tok_visa (authorised), tok_declined (declined)")).to_be_visible()
    await page.get_by_label("Full name").fill("Ada Lovelace")
    await page.get_by_label("Address line 1").fill("12 St James's Square")
    await page.get_by_label("Town or city").fill("London")
    await page.get_by_label("Postcode").fill("SW1Y 4JH")
    await page.get_by_label("Card token (sandbox)").fill("tok_visa")
    await expect(page.locator(".order-summary .delivery-parcel")).to_contain_text("Free delivery")
    # A country the maker does not deliver to is said in words, naming the maker.
    await page.get_by_label("Country").select_option("US")
    await expect(page.locator(".order-summary .delivery-problem")).to_contain_text(
        "does not deliver to United States"
    )
    await page.get_by_label("Country").select_option("GB")
    await expect(page.locator(".order-summary .delivery-parcel")).to_contain_text("Arrives between")
    await page.get_by_role("button", name="Place order").click()

    # The order page follows the saga live until the order is confirmed.
    await expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}"))
    await expect(page.locator("[data-order-status]")).to_contain_text("Confirmed")
    await expect(page.get_by_role("table", name="Pieces")).to_contain_text(
        "Personalised: no 14-day cancellation right"
    )
    await expect(page.locator(".maker-order")).to_contain_text("Awaiting acceptance")
    await expect(page.locator(".maker-order .parcel-delivery")).to_contain_text(
        "Free delivery · Arrives between"
    )
    await expect(page.get_by_role("link", name=re.compile(r"Basket.*0 items"))).to_be_visible()

    # And it is in the customer's orders.
    await page.get_by_role("link", name="Orders", exact=True).click()
    await expect(page.get_by_role("list", name="Orders").get_by_role("listitem")).to_have_count(1)


# --- 2. apply, approve, publish ----------------------------------------------------------------


async def add_photo(editor: Locator, path: Path, alt: str) -> None:
    """Upload a photo from the listing editor, wait for its thumbnail and describe it. Media
    learns of the maker's approval from an event: until then the upload is refused, with a
    Try again button."""
    path.write_bytes(support.jpeg())
    await editor.get_by_label("Choose photos").set_input_files(path)
    item = editor.locator(".photo-item").last
    for _ in range(100):
        await expect(item).to_have_attribute("data-state", re.compile("^(ready|failed)$"))
        if await item.get_attribute("data-state") == "ready":
            break
        await item.get_by_role("button", name=re.compile("^Try again")).click()
    else:
        raise AssertionError("media never accepted the approved maker's photo")
    await editor.get_by_label("Alt text for photo 1").fill(alt)


async def test_maker_applies_is_approved_and_publishes_a_piece(
    new_context: NewContext, stack: Stack, tmp_path: Path
) -> None:
    tag = word()
    handle = f"studio-{uuid.uuid4().hex[:8]}"
    maker_page = await (await new_context()).new_page()

    # Register as a maker: the dashboard opens on the application.
    await maker_page.goto("/register?role=maker")
    await maker_page.get_by_label("Your name").fill("Whitby Jet Studio")
    email = f"maker-{uuid.uuid4().hex[:8]}@example.com"
    await maker_page.get_by_label("Email").fill(email)
    await maker_page.get_by_label("Password").fill(PASSWORD)
    await maker_page.get_by_role("button", name="Create account").click()
    await expect(maker_page.get_by_role("heading", name="Apply to sell")).to_be_visible()
    # The maker confirms their email address from the link they were sent (needed to submit).
    maker_id = await maker_page.evaluate("JSON.parse(localStorage.getItem('market.session')).user.user_id")
    await maker_page.goto(f"/verify-email?token={await emailed_token(maker_id)}")
    await expect(maker_page.locator("[data-verified]")).to_contain_text("is confirmed")
    await maker_page.goto("/maker")
    await expect(maker_page.get_by_role("heading", name="Apply to sell")).to_be_visible()

    form = maker_page.locator("form.application-form")
    await form.get_by_label("Shop handle").fill(handle)
    await form.get_by_label("Shop name").fill("Whitby Jet Studio")
    await form.get_by_label("Country").select_option("GB")
    await form.get_by_label("Region or town").fill("North Yorkshire")
    await form.get_by_label("Techniques").fill("carving, silversmithing")
    await form.get_by_label("I work in gold, silver, platinum or palladium").check()
    await form.get_by_role("button", name="Save draft").click()
    await expect(maker_page.get_by_role("heading", name="Your application")).to_be_visible()

    # Submitting with items missing names each unmet checklist item where it is listed.
    await maker_page.get_by_role("button", name="Submit for review").click()
    checklist = maker_page.get_by_role("region", name="Checklist")
    await expect(checklist.locator("[data-item='terms_accepted'] .field-error")).to_be_visible()
    await expect(checklist.locator("[data-item='portfolio_url'] .field-error")).to_be_visible()
    await expect(checklist.locator("[data-item='sponsor_mark'] .field-error")).to_have_attribute(
        "data-code", "checklist_sponsor_mark"
    )
    await expect(maker_page.locator(".form-errors")).to_be_visible()

    # A schema error lands on its own field.
    await form.get_by_label("Portfolio links").fill("not a link")
    await form.get_by_role("button", name="Save changes").click()
    await expect(form.locator("[data-field-loc='portfolio_urls'] .field-error")).to_contain_text("http")

    await form.get_by_label("Portfolio links").fill("https://example.com/whitby-jet")
    await form.get_by_label("Sponsor's mark").fill("WJS")
    await form.get_by_label("Assay office").select_option("sheffield")
    await form.get_by_label("I accept the marketplace terms for makers").check()
    await maker_page.get_by_role("button", name="Submit for review").click()
    await expect(maker_page.locator(".pill[data-status='submitted']").first).to_be_visible()

    # An operator approves it from the review queue.
    ops_page = await (await new_context()).new_page()
    await sign_in(ops_page, stack.operator, "/ops")
    card = ops_page.locator(f".review-card[data-handle='{handle}']")
    await expect(card).to_contain_text("Whitby Jet Studio")
    await expect(card.get_by_role("region", name="Checklist")).to_contain_text(
        "Everything needed for review is in place"
    )
    await card.get_by_label("Approve").check()
    await card.get_by_role("button", name="Record decision").click()
    await expect(card).to_have_count(0)

    # The maker, now approved, creates a listing: a rule broken on publishing shows by its field.
    await maker_page.goto("/maker?tab=listings")
    await expect(maker_page.locator(".pill[data-status='approved']").first).to_be_visible()
    await maker_page.get_by_role("link", name="New listing").click()
    editor = maker_page.locator("form.listing-form")
    await editor.get_by_label("Title").fill(f"Jet and silver ring {tag}")
    await editor.get_by_label("Description").fill(f"Carved Whitby jet ({tag}) set in a sterling silver band.")
    await editor.get_by_label("Category").select_option("ring")
    await editor.get_by_label("Price (£)").fill("95")
    await add_photo(editor, tmp_path / "jet.jpg", f"Carved jet ring {tag}, seen from above")
    await editor.get_by_label("How it is made").select_option("made_to_order")
    await editor.get_by_label("Lead time from (days, made to order)").fill("7")
    await editor.get_by_label("Lead time to (days)").fill("10")
    await editor.get_by_role("button", name="Add a metal").click()
    await editor.get_by_label("Fineness (‰)").fill("900")
    await editor.get_by_label("Weight (g)").fill("5.2")
    await editor.get_by_label("Hallmark status").select_option("exempt_under_weight")

    async def publish_until_created() -> None:
        # The catalogue learns of the approval from an event; until then it refuses (403).
        for _ in range(100):
            await editor.get_by_role("button", name="Save and publish").click()
            errors = maker_page.locator(".form-errors")
            await expect(errors).to_be_visible()
            if "Not yet able to list" not in await errors.inner_text():
                return
            await maker_page.wait_for_timeout(500)
        raise AssertionError("the catalogue never accepted the approved maker")

    await publish_until_created()
    # Each said in words, its code in the page's data only.
    await expect(editor.locator("[data-field-loc='metals.0.fineness'] .field-error")).to_have_attribute(
        "data-code", "fineness_not_legal"
    )
    await expect(editor.locator("[data-field-loc='options.ring_size_mm'] .field-error")).to_have_attribute(
        "data-code", "ring_size_required"
    )
    await expect(editor).not_to_contain_text("fineness_not_legal")

    await editor.get_by_label("Fineness (‰)").fill("925")
    await editor.get_by_label("Smallest ring size (rings only)").select_option(label="UK K — 50 mm")
    await editor.get_by_label("Largest ring size").select_option(label="UK S — 60 mm")
    await editor.get_by_role("button", name="Save and publish").click()
    row = maker_page.locator(".listing-row", has_text=f"Jet and silver ring {tag}")
    await expect(row.locator(".pill")).to_have_text("Published")

    # Anyone can now find it.
    shopper = await (await new_context()).new_page()
    await shopper.goto(f"/search?q={tag}")
    result = shopper.get_by_role("list", name="Results").get_by_role(
        "link", name=re.compile(f"Jet and silver ring {tag}")
    )
    await expect(result).to_be_visible()
    await result.click()
    await expect(shopper.locator("[data-disclosure='hallmark_exempt']")).to_be_visible()
    await expect(shopper.locator("[data-disclosure='dealers_notice']")).to_be_visible()
    await expect(shopper.get_by_role("link", name="Whitby Jet Studio").first).to_be_visible()


# --- 3. accept, inspect, dispatch ------------------------------------------------------------------


async def test_maker_fulfils_an_order_and_the_customer_sees_it_dispatched(
    new_context: NewContext, gw: Gateway, stack: Stack
) -> None:
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Robin Hood's Bay Rings")
    listing = await support.published_listing(
        gw,
        maker_user,
        support.ring_listing(
            f"Diamond ring {word()}",
            description="A silver band set with a small natural diamond.",
            stones=[{"type": "diamond", "origin": "natural", "carat": 0.1, "count": 1}],
        ),
    )
    customer = await gw.register("customer", "Grace Hopper")
    order = await support.confirmed_order(
        gw, customer, listing["id"], {"ring_size_mm": 54.38, "engraving_text": "Ahoy"}
    )

    # The customer keeps the order open: it updates by itself.
    customer_page = await (await new_context()).new_page()
    await sign_in(customer_page, customer, f"/orders/{order['id']}")
    parcel = customer_page.locator(".maker-order")
    await expect(parcel).to_have_attribute("data-status", "awaiting_acceptance")
    await expect(customer_page.get_by_role("button", name="Cancel order")).to_be_visible()
    # A natural diamond: the invoice carries the System of Warranties statement.
    await expect(customer_page.get_by_role("region", name="Statements")).to_contain_text(
        "purchased from legitimate sources not involved in funding conflict"
    )

    maker_page = await (await new_context()).new_page()
    await sign_in(maker_page, maker_user, "/maker?tab=orders")
    card = maker_page.locator(f".maker-order[data-maker-order-id='{order['maker_orders'][0]['id']}']")
    await expect(card).to_contain_text("Ring size UK N½ · 54.4 mm · US 7")
    await expect(card).to_contain_text("Engraving “Ahoy”")
    await card.get_by_role("button", name="Accept order").click()
    card = maker_page.locator(f".maker-order[data-maker-order-id='{order['maker_orders'][0]['id']}']")
    await expect(card).to_have_attribute("data-status", "in_production")
    await expect(parcel).to_have_attribute("data-status", "in_production")

    # A pass without the ordered engraving verified is refused, by the check it lacks.
    inspection = card.get_by_role("form", name="Quality inspection")
    await inspection.get_by_label("Hallmark").select_option("true")
    await inspection.get_by_label("Stones secure").select_option("true")
    await inspection.get_by_label("Engraving").select_option("false")
    await expect(inspection.get_by_label("Measured ring size (mm)")).to_have_value("54.38")
    await inspection.get_by_role("button", name="Record inspection").click()
    await expect(
        inspection.locator("[data-field-loc='checks.engraving_verified'] .field-error")
    ).to_have_attribute("data-code", "engraving_not_verified")

    await inspection.get_by_label("Engraving").select_option("true")
    await inspection.get_by_role("button", name="Record inspection").click()
    await expect(card).to_have_attribute("data-status", "quality_checked")

    dispatch = card.get_by_role("form", name="Dispatch")
    await dispatch.get_by_label("Carrier").fill("Royal Mail")
    await dispatch.get_by_label("Tracking number").fill("RM123456785GB")
    await dispatch.get_by_role("button", name="Mark as dispatched").click()
    await expect(card).to_have_attribute("data-status", "dispatched")

    # The customer's page, untouched, has caught up: dispatched, tracked, no longer cancellable.
    await expect(parcel).to_have_attribute("data-status", "dispatched")
    await expect(parcel).to_contain_text("RM123456785GB")
    await expect(parcel.locator(".steps__step--current")).to_contain_text("Dispatched")
    await expect(customer_page.get_by_role("button", name="Cancel order")).to_have_count(0)


# --- 4. a rejected maker applies again -----------------------------------------------------------


async def test_a_rejected_maker_applies_again_with_the_same_account(
    new_context: NewContext, gw: Gateway, stack: Stack
) -> None:
    maker_user, maker = await support.submitted_maker(gw, "Second Chance Studio", "again")
    await gw.call(
        "POST",
        f"/makers/{maker['id']}/review",
        token=stack.operator.token,
        expect=200,
        json={"decision": "reject", "note": "The portfolio shows cast pieces, not handmade ones"},
    )

    page = await (await new_context()).new_page()
    await sign_in(page, maker_user, "/maker?tab=application")
    await expect(page.locator(".pill[data-status='rejected']").first).to_be_visible()
    await expect(page.locator("[data-review-note]")).to_contain_text("not handmade ones")
    await page.get_by_role("button", name="Apply again").click()

    # The same record, a draft again: the form is back with the profile kept, ready to submit.
    await expect(page.locator(".pill[data-status='draft']").first).to_be_visible()
    form = page.locator("form.application-form")
    await expect(form.get_by_label("Shop handle")).to_have_value(maker["handle"])
    await expect(page.get_by_role("button", name="Submit for review")).to_be_visible()
    _, record = await gw.call("GET", f"/makers/{maker['id']}", token=maker_user.token, expect=200)
    assert record["status"] == "draft"
