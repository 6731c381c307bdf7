"""Conversations in a real browser: a customer writes to a maker from the product page, the
maker (told by email) finds it new on /messages and replies, and the customer sees the reply;
a <script> in a message is shown as text and never runs. From an order page the customer
writes to that order's maker; an operator reads the conversation and has no reply form. Every
state of /messages passes axe (WCAG 2 A and AA, best practices) on a desktop and a phone."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Stack
from tests.browser.support import Account, Gateway
from tests.browser.test_accessibility import Audit
from tests.browser.test_journeys import sign_in, word
from tests.browser.test_layout import signed_in

SCRIPT = (
    '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true"> '
    "Is the band <b>sterling</b>?"
)


async def _no_markup_ran(page: Page) -> None:
    assert await page.evaluate("window.__pwned === undefined")
    thread = page.locator("[data-thread]")
    assert await thread.locator("script, img, b").count() == 0


async def test_a_customer_messages_a_maker_who_replies_and_a_script_stays_text(
    gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    maker, record = await support.approved_maker(gw, stack.operator, "Ouse Silversmiths")
    listing = await support.published_listing(gw, maker, support.ring_listing(f"Ouse band {word()}"))
    customer = await gw.register("customer", "Cora Curious")
    await support.orders_knows(gw, customer, listing["id"])

    # The customer asks from the product page.
    mine = await (await new_context()).new_page()
    await sign_in(mine, customer, then=f"/listings/{listing['id']}")
    await mine.get_by_role("link", name=f"Message {record['display_name']}").click()
    await expect(mine).to_have_url(re.compile(r"/messages\?listing_id="))
    compose = mine.locator("[data-compose-form]")
    await expect(compose.get_by_text(f"About {listing['title']}")).to_be_visible()
    await compose.get_by_role("button", name="Send message").click()  # empty: said, not sent
    await expect(compose.locator("[data-code='required']").first).to_be_visible()
    await compose.get_by_label("Your message").fill(SCRIPT)
    await compose.get_by_role("button", name="Send message").click()
    await expect(mine).to_have_url(re.compile(r"/messages/[0-9a-f-]{36}$"))
    conversation_id = mine.url.rsplit("/", 1)[-1]
    await expect(mine.get_by_role("heading", level=1)).to_have_text(listing["title"])
    mine_first = mine.locator("[data-thread] .message").first
    await expect(mine_first.locator(".message__body")).to_have_text(SCRIPT)
    await expect(mine_first.locator(".message__meta")).to_contain_text("You")
    await _no_markup_ran(mine)

    # The maker is told by email, finds it new on /messages, reads it and replies.
    [mail] = await stack.mail.wait_for(maker.email, subject="New message from Cora Curious")
    assert any(link.endswith(f"/messages/{conversation_id}") for link in mail.links)
    theirs = await (await new_context()).new_page()
    await sign_in(theirs, maker, then="/messages")
    row = theirs.locator(f"[data-conversation-id='{conversation_id}']")
    await expect(row).to_have_attribute("data-unread", "true")
    await expect(row.get_by_text("New", exact=True)).to_be_visible()
    await row.get_by_role("link").click()
    await expect(theirs.locator("[data-thread] .message__body").first).to_have_text(SCRIPT)
    await _no_markup_ran(theirs)
    reply = theirs.locator("[data-reply-form]")
    await reply.get_by_label("Your reply").fill("Yes: sterling silver, hallmarked in Sheffield.")
    await reply.get_by_role("button", name="Send message").click()
    last = theirs.locator("[data-thread] .message").last
    await expect(last.locator(".message__body")).to_have_text(
        "Yes: sterling silver, hallmarked in Sheffield."
    )
    await expect(last).to_have_attribute("data-sender-role", "maker")
    await expect(reply.get_by_label("Your reply")).to_have_value("")

    # The customer sees the reply as new, and reads it.
    await mine.goto("/messages")
    mine_row = mine.locator(f"[data-conversation-id='{conversation_id}']")
    await expect(mine_row).to_have_attribute("data-unread", "true")
    await mine_row.get_by_role("link").click()
    reply_seen = mine.locator("[data-thread] .message").last
    await expect(reply_seen.locator(".message__body")).to_have_text(
        "Yes: sterling silver, hallmarked in Sheffield."
    )
    await expect(reply_seen.locator(".message__meta")).to_contain_text(record["display_name"])
    await mine.goto("/messages")
    await expect(mine.locator(f"[data-conversation-id='{conversation_id}']")).to_have_attribute(
        "data-unread", "false"
    )


async def test_a_customer_writes_about_an_order_and_an_operator_only_reads(
    gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    maker, record = await support.approved_maker(gw, stack.operator, "Foss Workshop")
    listing = await support.published_listing(gw, maker, support.ring_listing(f"Foss ring {word()}"))
    customer = await gw.register("customer", "Olive Ordered")
    order = await support.confirmed_order(gw, customer, listing["id"], {"ring_size_mm": 54})

    page = await (await new_context()).new_page()
    await sign_in(page, customer, then=f"/orders/{order['id']}")
    await page.get_by_role("link", name=f"Message {record['display_name']}").click()
    compose = page.locator("[data-compose-form]")
    await expect(compose.get_by_text(f"About order {order['reference']}")).to_be_visible()
    await compose.get_by_label("Your message").fill("Could it be posted before Friday?")
    await compose.get_by_role("button", name="Send message").click()
    await expect(page).to_have_url(re.compile(r"/messages/[0-9a-f-]{36}$"))
    conversation_id = page.url.rsplit("/", 1)[-1]
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(re.escape(order["reference"])))
    await expect(page.get_by_role("link", name="See the order")).to_have_attribute(
        "href", f"/orders/{order['id']}"
    )

    operator: Account = stack.operator
    ops = await (await new_context()).new_page()
    await sign_in(ops, operator, then=f"/messages/{conversation_id}")
    await expect(ops.locator("[data-thread] .message__body")).to_have_text(
        "Could it be posted before Friday?"
    )
    await expect(ops.locator("[data-read-only]")).to_be_visible()
    assert await ops.locator("[data-reply-form]").count() == 0


async def test_the_messages_pages_pass_axe_on_a_desktop_and_a_phone(
    gw: Gateway, stack: Stack, new_context: NewContext
) -> None:
    maker, _ = await support.approved_maker(gw, stack.operator, "Nidd Metalwork")
    listing = await support.published_listing(gw, maker, support.ring_listing(f"Nidd ring {word()}"))
    customer = await gw.register("customer", "Ada Audited")
    await support.orders_knows(gw, customer, listing["id"])
    _, started = await gw.call(
        "POST",
        "/conversations",
        token=customer.token,
        expect=201,
        json={"listing_id": listing["id"], "body": "Is the band <b>comfortable</b> for everyday wear?"},
    )
    thread = f"/messages/{started['id']}"
    await gw.call(
        "POST",
        f"/conversations/{started['id']}/messages",
        token=maker.token,
        expect=201,
        json={"body": "Yes, it is court-shaped inside."},
    )

    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        audit = Audit(await (await new_context(viewport)).new_page(), width)
        page = audit.page
        await signed_in(page, customer)
        await audit.visit(
            f"/messages?listing_id={listing['id']}", "[data-compose-form]", "writing to a maker"
        )
        await page.locator("[data-compose-form]").get_by_role("button", name="Send message").click()
        await audit.check("[data-compose-form] .form-errors", "writing to a maker, the message missing")
        await audit.visit("/messages", "[data-conversation-id]", "the customer's conversations")
        await audit.visit(thread, "[data-reply-form]", "a conversation, to the customer")
        await page.locator("[data-reply-form]").get_by_role("button", name="Send message").click()
        await audit.check("[data-reply-form] .form-errors", "a conversation, the reply missing")
        await signed_in(page, maker)
        await audit.visit("/messages", "[data-conversation-id]", "the maker's conversations")
        await audit.visit(thread, "[data-reply-form]", "a conversation, to the maker")
        await signed_in(page, stack.operator)
        await audit.visit(thread, "[data-read-only]", "a conversation, to an operator")
        audit.assert_clean()
