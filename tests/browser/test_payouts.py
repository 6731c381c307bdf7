"""Payouts in a real browser: an operator starts a payout run from the console and sees what it
paid; the maker's payouts page then shows that earning paid with its parcel's reference, a
younger one pending, the payout, and downloads a statement (a backwards period refused in
words). The earnings are written into the orders schema already delivered 20 and 3 days ago."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in
from tests.support.harness import TestEnvironment, eventually
from tests.support.payouts import earning, seed_earnings


async def test_an_operator_runs_payouts_and_the_maker_sees_them_paid(
    page: Page, gw: Gateway, stack: Stack, new_context: NewContext, test_env: TestEnvironment
) -> None:
    maker_user, maker = await support.approved_maker(gw, stack.operator, "Payout Smiths")
    maker_id = uuid.UUID(maker["id"])
    now = datetime.now(UTC)
    old = earning(maker_id, 12345, now - timedelta(days=20))
    young = earning(maker_id, 5000, now - timedelta(days=3))
    db = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    try:
        await eventually(
            lambda: db.fetchval("SELECT 1 FROM orders.makers WHERE maker_id = $1", maker_id),
            message="orders to learn of the maker",
        )
        await seed_earnings(db, [old, young])
        reference = await db.fetchval(
            "SELECT reference FROM orders.maker_orders WHERE id = $1", old.maker_order_id
        )
    finally:
        await db.close()

    await sign_in(page, stack.operator, "/ops?tab=payouts")
    await page.get_by_role("button", name="Start a payout run").click()
    row = page.locator(f"tr[data-maker-id='{maker_id}']")
    await expect(row).to_contain_text("£104.94")
    await expect(row).to_contain_text("Paid")
    await expect(page.locator("[data-summary]")).to_contain_text("Paid £")

    maker_page = await (await new_context()).new_page()
    await sign_in(maker_page, maker_user, "/maker?tab=payouts")
    await expect(maker_page.locator("[data-figure='paid']")).to_contain_text("£104.94")
    await expect(maker_page.locator("[data-figure='pending']")).to_contain_text("£42.50")
    await expect(maker_page.locator("[data-figure='available']")).to_contain_text("£0.00")
    paid_line = maker_page.locator("tr[data-state='paid']")
    await expect(paid_line).to_contain_text(reference)
    await expect(maker_page.locator("tr[data-state='pending']")).to_contain_text("£42.50")
    await expect(maker_page.locator("tr[data-status='paid']")).to_contain_text("£104.94")

    statement = maker_page.get_by_role("form", name="Download a statement")
    await statement.get_by_label("From").fill((now - timedelta(days=30)).date().isoformat())
    await statement.get_by_label("To").fill(now.date().isoformat())
    async with maker_page.expect_download() as downloading:
        await statement.get_by_role("button", name="Download statement").click()
    download = await downloading.value
    text = (await download.path()).read_text()
    assert f"{reference},earning,123.45,18.51,104.94,GBP" in text.replace("\r\n", "\n")

    await statement.get_by_label("From").fill(now.date().isoformat())
    await statement.get_by_label("To").fill((now - timedelta(days=30)).date().isoformat())
    await statement.get_by_role("button", name="Download statement").click()
    await expect(statement.locator(".form-errors")).to_contain_text("ends before it starts")
    await expect(statement.locator(".form-errors")).not_to_contain_text("statement_range_invalid")
