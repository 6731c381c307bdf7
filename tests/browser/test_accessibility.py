"""axe-core's WCAG 2 A and AA rules (2.0, 2.1 and 2.2) and its best practices (landmarks,
heading order) over every storefront page a person reaches, in the states that matter, on a
desktop and on a 360 px phone: zero violations.

One shop is set up through the API for the module: a maker with a published ring (two ready
photos), a customer with an order waiting for the maker, one in the making, one delivered (so
the payouts ledger has a line) and one whose card was declined, a quoted commission, a maker
whose application waits for review and a new maker with none. Each width then walks every page
in one browser page; every violation found is listed (rule, impact, help, the elements) before
the test fails. What a page folds away (Decline…, Suspend…, History) is checked unfolded."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Stack
from tests.browser.support import EVENT_TIMEOUT_S, Account, ApiFailure, Gateway
from tests.browser.test_layout import SETTLED, signed_in
from tests.support.harness import eventually
from tests.support.photos import ready_photo

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": [*WCAG_A_AA, "best-practice"]},
    "resultTypes": ["violations"],
}
AXE = Axe()


@dataclass
class Shop:
    maker: Account
    handle: str
    listing: dict[str, Any]
    customer: Account
    waiting_order: dict[str, Any]
    delivered_order: dict[str, Any]
    accepted_order: dict[str, Any]
    declined_order: dict[str, Any]
    commission: dict[str, Any]
    applicant: Account
    newcomer: Account
    operator: Account


async def cancelled_order(
    gw: Gateway, customer: Account, listing_id: str, options: dict[str, Any]
) -> dict[str, Any]:
    """An order whose card was declined, once orders has cancelled it."""
    line = {"listing_id": listing_id, "quantity": 1, "options": options}
    order = await support.placed_order(gw, customer, [line], payment_token="tok_declined")

    async def cancelled() -> dict[str, Any] | None:
        _, latest = await gw.call("GET", f"/orders/{order['id']}", token=customer.token, expect=200)
        return latest if latest["status"] == "cancelled" else None

    return await eventually(
        cancelled, timeout_s=EVENT_TIMEOUT_S, message="the declined order to be cancelled"
    )


async def quoted_commission(gw: Gateway, customer: Account, maker: Account, maker_id: str) -> dict[str, Any]:
    """A commission the customer asked for and the maker quoted. Orders learns that the maker
    takes commissions from an event, so the request is retried while it is refused."""
    request = {
        "maker_id": maker_id,
        "brief": "A signet ring engraved with a heron, in recycled silver.",
        "budget": {"amount": 30000, "currency": "GBP"},
        "ring_size_mm": 57,
        "deadline": (datetime.now(UTC).date() + timedelta(days=60)).isoformat(),
    }

    async def requested() -> dict[str, Any] | None:
        status, body = await gw.call("POST", "/commissions", token=customer.token, json=request)
        if status == 201:
            return body
        if status not in (403, 404, 422):
            raise ApiFailure(f"POST /commissions: {status} {body}")
        return None

    commission = await eventually(
        requested, timeout_s=EVENT_TIMEOUT_S, message="orders to learn the maker takes commissions"
    )
    quote = {
        "price": {"amount": 28000, "currency": "GBP"},
        "lead_time_days": 21,
        "description": "A heavy signet ring with the heron cut by hand.",
    }
    _, quoted = await gw.call(
        "POST", f"/commissions/{commission['id']}/quote", token=maker.token, expect=200, json=quote
    )
    return quoted


@pytest.fixture(scope="module")
async def shop(stack: Stack) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession() as http:
        gw = Gateway(stack.url, http)
        maker, record = await support.approved_maker(gw, stack.operator, "Heron Silverworks")
        photos = [await ready_photo(http, stack.url, maker.token, new=True) for _ in range(2)]
        listing = await support.published_listing(
            gw,
            maker,
            support.ring_listing(
                f"Hammered heron band {uuid.uuid4().hex[:6]}",
                photos=[
                    {"image_id": photos[0], "alt": "The band on a plain linen background"},
                    {"image_id": photos[1], "alt": "The band seen from above"},
                ],
            ),
        )
        customer = await gw.register("customer", "Grace Hopper")
        # A saved address: checkout offers it, the account page lists it.
        await gw.call(
            "POST",
            "/me/addresses",
            token=customer.token,
            expect=201,
            json={
                "name": "Grace Hopper",
                "line1": "2 Petergate",
                "city": "York",
                "postcode": "YO1 7HH",
                "country": "GB",
            },
        )
        ring = {"ring_size_mm": 55}
        waiting_order = await support.confirmed_order(gw, customer, listing["id"], ring)
        delivered_order = await support.confirmed_order(gw, customer, listing["id"], ring)
        await support.delivered(gw, maker, stack.operator, delivered_order, ring_size_mm=55)
        # One ring on its way back: the order page, the maker's and the operators' returns show it.
        await gw.call(
            "POST",
            f"/orders/{delivered_order['id']}/returns",
            token=customer.token,
            expect=201,
            json={
                "lines": [{"line_id": delivered_order["lines"][0]["id"], "quantity": 1}],
                "reason": "faulty",
            },
        )
        accepted_order = await support.confirmed_order(gw, customer, listing["id"], ring)
        [part] = accepted_order["maker_orders"]
        await gw.call("POST", f"/maker-orders/{part['id']}/accept", token=maker.token, expect=200, json={})
        declined_order = await cancelled_order(gw, customer, listing["id"], ring)
        commission = await quoted_commission(gw, customer, maker, record["id"])

        applicant, _ = await support.submitted_maker(gw, "Wren Enamels", "wren")
        newcomer = await gw.register("maker", "Kestrel Goldsmiths")
        yield Shop(
            maker=maker,
            handle=record["handle"],
            listing=listing,
            customer=customer,
            waiting_order=waiting_order,
            delivered_order=delivered_order,
            accepted_order=accepted_order,
            declined_order=declined_order,
            commission=commission,
            applicant=applicant,
            newcomer=newcomer,
            operator=stack.operator,
        )


class Audit:
    """Runs axe in one page after another and keeps every violation, by where it was found."""

    def __init__(self, page: Page, width: str) -> None:
        self.page = page
        self.width = width
        self.found: list[str] = []
        self.checked = 0

    async def visit(self, path: str, ready: str, state: str | None = None, *, unfold: bool = False) -> None:
        await self.page.goto(path)
        if unfold:  # what is folded away (Decline…, Suspend…, History) is checked open
            await expect(self.page.locator(ready).first).to_be_visible()
            # Each click opens one, so the folded ones are found afresh each time.
            folded = self.page.locator("main details:not([open]) > summary")
            while await folded.count():
                await folded.first.click()
        await self.check(ready, state or path)

    async def check(self, ready: str, state: str) -> None:
        await expect(self.page.locator(ready).first).to_be_visible()
        await self.page.wait_for_function(SETTLED)
        results = await AXE.run(self.page, options=AXE_OPTIONS)
        self.checked += 1
        for violation in results.response["violations"]:
            nodes = "\n".join(
                f"      {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
                for node in violation["nodes"]
            )
            self.found.append(
                f"{state} at {self.width}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']}\n{nodes}"
            )

    def assert_clean(self) -> None:
        report = "\n".join(self.found)
        if report:
            print(report)
        assert not self.found, f"{len(self.found)} axe violations in {self.checked} states:\n{report}"


async def walk(audit: Audit, shop: Shop, tmp_path: Path) -> None:
    page = audit.page
    listing = f"/listings/{shop.listing['id']}"

    # Anyone.
    await audit.visit("/", ".card")
    await audit.visit("/search?category=ring", ".card", "search with results")
    opener = page.get_by_role("button", name=re.compile(r"^Filters"))
    if await opener.is_visible():  # a phone: the filters open in a drawer
        await opener.click()
        await audit.check("dialog.drawer[open] form", "search with the filters' drawer open")
        await page.keyboard.press("Escape")
    else:
        await audit.check(".search-layout__side form", "search with its filters")
    await audit.visit(listing, ".gallery__zoom img", "product page")
    await page.get_by_role("button", name="Enlarge").click()
    await audit.check("dialog[open] img", "product page, photo zoomed")
    await page.keyboard.press("Escape")
    await audit.visit(f"/makers/{shop.handle}", ".card", "maker's page")
    await audit.visit("/login", "form")
    await page.get_by_label("Email").fill(shop.customer.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await audit.check("main [role='alert']", "sign in refused")
    await audit.visit("/register", "form")
    await audit.visit("/forgot-password", "form")
    await page.get_by_role("button", name="Email me a link").click()
    await audit.check("form .form-errors", "forgot password, no address given")
    await audit.visit("/reset-password?token=spent", "form", "reset password")
    await page.locator("input[name='password']").fill("a brand new passphrase")
    await page.get_by_role("button", name="Save the new password").click()
    await audit.check("form .form-errors", "reset password, the link refused")
    await audit.visit("/verify-email?token=spent", ".error-box", "verify email, the link refused")
    await audit.visit("/no/such/page", "h1", "page not found")

    # A customer.
    await signed_in(page, shop.customer)
    await audit.visit(f"/makers/{shop.handle}", "form textarea", "maker's page with the commission form")
    await page.goto(listing)
    await page.get_by_role("button", name="Add to basket").click()
    await audit.check(".field-error", "product page, no ring size chosen")
    await page.get_by_label("Ring size").select_option(index=3)
    await page.get_by_role("button", name="Add to basket").click()
    await audit.visit("/basket", ".basket-line", "basket with a ring")
    await audit.visit("/checkout", "form.checkout .saved-addresses", "checkout with a saved address")
    await page.get_by_label("A new address").check()
    await page.get_by_role("button", name="Place order").click()
    await audit.check("form.checkout .field-error", "checkout with its fields missing")
    await audit.visit("/orders", ".row-card", "orders")
    await audit.visit("/notifications", "[data-notification-id]", "notifications")
    await page.goto(listing)
    save = page.get_by_role("button", name="Save to favourites")
    await expect(save).to_be_visible()
    if await save.get_attribute("aria-pressed") != "true":  # the other width's walk kept it
        await save.click()
        await expect(page.locator("#status-region")).to_contain_text("saved to your favourites")
    await audit.visit("/favourites", ".card [aria-pressed='true']", "favourites")
    await audit.visit("/account", "[data-address-id]", "account with its address book")
    await page.get_by_role("button", name="Save address").click()
    await audit.check("form .field-error", "account, an address with its fields missing")
    await page.get_by_text("Change your email address").click()
    await page.get_by_role("button", name="Change email address").click()
    await audit.check(
        "form[aria-label='Change your email address'] .form-errors", "account, a new email address missing"
    )
    await audit.visit(
        f"/orders/{shop.waiting_order['id']}", "[data-order-status]", "order awaiting the maker"
    )
    await audit.visit(
        f"/orders/{shop.delivered_order['id']}", "[data-order-status]", "order delivered", unfold=True
    )
    returns = page.locator("details.return-details")
    if not await returns.evaluate("(details) => details.open"):
        await returns.locator("summary").click()
    await returns.get_by_role("button", name="Start the return").click()
    await audit.check("form.return-form .form-errors", "order delivered, a return refused")
    await audit.visit(f"/orders/{shop.declined_order['id']}", "[data-cancellation-reason]", "order cancelled")
    await audit.visit(f"/commissions/{shop.commission['id']}", "form", "commission quoted")

    # The maker.
    await signed_in(page, shop.maker)
    await audit.visit("/maker?tab=application", "form.compliance-form", "maker's record")
    await audit.visit("/maker?tab=listings", ".listing-row", "maker's listings")
    await audit.visit("/account", "[data-email-preferences]", "maker's account: email choices")
    await audit.visit(
        f"/maker?tab=listings&listing={shop.listing['id']}",
        ".photo-item[data-state='ready'] img",
        "listing editor with its photos",
    )
    notes = tmp_path / "notes.jpg"
    notes.write_text("Silver wire, borax, pickle")
    photos = page.get_by_role("group", name="Photographs")
    await photos.get_by_label("Choose photos").set_input_files(notes)
    await audit.check(".photo-item[data-state='failed'] [role='alert']", "listing editor, a file refused")
    await audit.visit("/maker?tab=orders", ".maker-order form", "maker orders", unfold=True)
    await audit.visit("/maker?tab=returns", ".return-card button", "returns to receive")
    await audit.visit("/maker?tab=payouts", "table", "payouts")
    await audit.visit("/maker?tab=shipping", "form.shipping-form", "maker's shipping")
    await audit.visit("/maker?tab=commissions", "form", "commissions to quote", unfold=True)
    await audit.visit("/maker?tab=listings&listing=new", "form.listing-form", "new listing")
    await page.get_by_role("button", name="Add a metal").click()
    await page.get_by_role("button", name="Add a stone").click()
    await audit.check("form.listing-form", "new listing with a metal and a stone")

    # Makers before approval.
    await signed_in(page, shop.newcomer)
    await audit.visit("/maker", "form.application-form", "new application")
    await page.get_by_role("button", name="Add a sourcing claim").click()
    await page.get_by_role("button", name="Save draft").click()
    await audit.check("form.application-form .field-error", "new application refused")
    await signed_in(page, shop.applicant)
    await audit.visit("/maker", "h1", "application submitted")

    # The operator.
    await signed_in(page, shop.operator)
    await audit.visit("/ops?tab=review", ".review-card", "review queue")
    await audit.visit("/ops?tab=evidence", "h2", "evidence queue")
    await audit.visit("/ops?tab=makers", "ul[aria-label='Makers'] details", "makers", unfold=True)
    await audit.visit("/ops?tab=orders", ".row-card", "all orders")
    await audit.visit("/ops?tab=returns", ".return-card form", "returns queue")
    await audit.visit("/ops?tab=parcels&queue=quality", ".parcel-row", "parcels waiting for a quality check")
    await audit.visit("/ops?tab=parcels&queue=refunds", ".parcel-row form", "delivered parcels to refund")
    await audit.visit("/ops?tab=parcels&queue=overdue", "form.parcel-filters", "overdue parcels")
    await audit.visit("/ops?tab=payouts", "form", "payout runs")
    await page.get_by_role("button", name="Start a payout run").click()
    await audit.check("[data-summary]", "payout run started")
    await audit.visit(
        f"/orders/{shop.accepted_order['id']}", "[data-order-status]", "an order, to the operator"
    )


@pytest.mark.parametrize("width", ["desktop", "phone"])
async def test_every_page_passes_axe(new_context: NewContext, shop: Shop, width: str, tmp_path: Path) -> None:
    context = await new_context(DESKTOP if width == "desktop" else PHONE)
    audit = Audit(await context.new_page(), width)
    await walk(audit, shop, tmp_path)
    audit.assert_clean()
