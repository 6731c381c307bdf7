"""Reviews in a real browser: the customer reviews a delivered ring from the order page, the review
shows on the product page and the maker page with the histogram, a <script> written in a review
is shown as text and never runs, the maker replies from the dashboard, and an operator hides a
reported review from the ops console (it leaves the product page and its rating)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in, word

SCRIPT = '<script>window.__reviewed = "ran"</script><img src=x onerror="window.__reviewed=\'ran\'">'


async def test_a_customer_reviews_a_delivered_ring_and_a_script_in_it_stays_text(
    page: Page, gw: Gateway, stack: Stack, new_context: NewContext, tmp_path: Path
) -> None:
    maker_user, maker = await support.approved_maker(gw, stack.operator, "Robin Hood's Bay Silver")
    listing = await support.published_listing(
        gw, maker_user, support.ring_listing(f"Bay band {word()}", sourcing_claims=[])
    )
    customer = await gw.register("customer", "Dorothy Wordsworth")
    order = await support.confirmed_order(gw, customer, listing["id"], {"ring_size_mm": 54})
    await support.delivered(gw, maker_user, stack.operator, order)

    await sign_in(page, customer, f"/orders/{order['id']}")
    box = page.locator(f".write-review[data-listing-id='{listing['id']}']")
    form = box.locator("form")
    await expect(form).to_contain_text("Review this piece")
    await form.get_by_label("4 stars").check()
    await form.get_by_label("Headline").fill("Lovely weight " + SCRIPT[:40])
    await form.get_by_label("Your review").fill(f"Fits perfectly.\n\n{SCRIPT}")
    # A photo of her own goes through the media service and is described for people who cannot see it.
    worn = tmp_path / "worn.jpg"
    worn.write_bytes(support.jpeg(1600, 1200))
    await form.get_by_label("Add photos").set_input_files(worn)
    await expect(form.locator(".review-photos__status")).to_have_text("worn.jpg is ready.", timeout=30_000)
    await form.get_by_label("Describe photo 1").fill("The band on a finger, seen from above")
    await form.get_by_role("button", name="Publish review").click()
    await expect(box.locator(".write-review__done")).to_contain_text("Your review is published")

    # Reloaded, the order page says it is reviewed rather than offering the form again.
    await page.reload()
    await expect(box.locator(".write-review__done")).to_contain_text("You reviewed this piece")

    await page.goto(f"/listings/{listing['id']}")
    reviews = page.locator("section#reviews")
    summary = reviews.locator(".reviews__summary")
    await expect(summary).to_have_attribute("data-rating-count", "1")
    await expect(summary).to_contain_text("4 out of 5 · 1 review")
    await expect(reviews.locator(".histogram__row[data-stars='4']")).to_have_attribute("data-count", "1")
    await expect(reviews.locator(".histogram__row[data-stars='5']")).to_have_attribute("data-count", "0")
    review = reviews.locator(".review")
    await expect(review.locator(".review__body").last).to_have_text(SCRIPT)
    await expect(review).to_contain_text("Verified purchase")
    photo = review.locator(".review__photos img")
    await expect(photo).to_have_attribute("alt", "The band on a finger, seen from above")
    assert "/media/" in (await photo.get_attribute("src") or "")
    # Shown as text: no element came of it, and nothing ran.
    assert await review.locator("script, img[src='x']").count() == 0
    assert await page.evaluate("window.__reviewed") is None

    # The maker replies from their dashboard; the reply shows under the review.
    maker_page = await (await new_context()).new_page()
    await sign_in(maker_page, maker_user, "/maker?tab=reviews")
    mine = maker_page.locator(".maker-reviews .review")
    await expect(mine).to_contain_text("Fits perfectly.")
    await mine.get_by_label("Your reply").fill("Thank you, Dorothy <3")
    await mine.get_by_role("button", name="Publish reply").click()
    await expect(mine.locator(".review__reply")).to_contain_text("Thank you, Dorothy <3")
    await expect(mine.locator("form")).to_have_count(0)

    await page.goto(f"/makers/{maker['handle']}")
    on_maker = page.locator("section#reviews")
    await expect(on_maker.locator(".reviews__summary")).to_have_attribute("data-rating-count", "1")
    await expect(on_maker.locator(".review__reply")).to_contain_text("Thank you, Dorothy <3")

    # Reported, then hidden by an operator: it leaves the product page and its rating.
    await on_maker.get_by_role("button", name="Report this review").click()
    await on_maker.get_by_label("What is wrong with this review?").fill("It has a script in it")
    await on_maker.get_by_role("button", name="Send report").click()
    await expect(on_maker).to_contain_text("Our team will look at this review")

    ops = await (await new_context()).new_page()
    await sign_in(ops, stack.operator, "/ops?tab=reviews")
    queued = ops.locator(".reported-reviews .review", has_text="Fits perfectly.")
    await expect(queued).to_contain_text("It has a script in it")
    await queued.get_by_label("Why hide it? (kept on record)").fill("Contains code, not a review")
    await queued.get_by_role("button", name="Hide review").click()
    await expect(ops.locator(".reported-reviews")).to_contain_text("The review is hidden")

    await page.goto(f"/listings/{listing['id']}")
    await expect(page.locator("section#reviews .reviews__summary")).to_have_attribute(
        "data-rating-count", "0"
    )
    await expect(page.locator("section#reviews .review")).to_have_count(0)
