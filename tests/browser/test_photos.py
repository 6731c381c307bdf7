"""Photos in the storefront with the real media service and its worker:

1. a maker adds photos to a listing from the editor: each upload shows its progress, then
   "Processing…", then its thumbnail from /media/; files that are not photos are refused in
   words (never by their code); the photos are reordered, described and published;
2. the product page shows the main photo responsive (srcset, sizes, its width and height, the
   blurred placeholder), loaded from /media/, switches photos from the thumbnails and zooms to
   the 1600 px rendition in a dialog that Escape closes; search shows the main photo too."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.async_api import BrowserContext, Page, expect

from tests.browser import support
from tests.browser.conftest import PHONE, NewContext, Stack
from tests.browser.support import Gateway
from tests.browser.test_layout import OVERFLOW, UNLABELLED_CONTROLS, signed_in

# Every change of an upload's progress bar and of a photo's state, as the page made them.
RECORD_CHANGES = """(list) => {
  window.photoChanges = [];
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      window.photoChanges.push([m.attributeName, m.target.getAttribute(m.attributeName)]);
    }
  }).observe(list, { subtree: true, attributes: true, attributeFilter: ['value', 'data-state'] });
}"""

LOADED = "(img) => img.complete && img.naturalWidth > 0 && img.currentSrc.includes('/media/')"


def word() -> str:
    return "zq" + uuid.uuid4().hex[:8]


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1000, 1000), (200, 160, 40)).save(out, "GIF")
    return out.getvalue()


async def slow_uploads(context: BrowserContext, page: Page, bytes_per_s: int | None) -> None:
    """Throttle the page's uploads (None: full speed again), so progress can be watched."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_s or -1},
    )


async def test_maker_adds_photos_and_customers_see_them(
    new_context: NewContext, gw: Gateway, stack: Stack, tmp_path: Path
) -> None:
    tag = word()
    maker_user, _ = await support.approved_maker(gw, stack.operator, "Lindisfarne Silver")
    draft = await support.draft_listing(gw, maker_user, support.ring_listing(f"Hammered band {tag}"))

    context = await new_context()
    page = await context.new_page()
    await signed_in(page, maker_user)
    await page.goto(f"/maker?tab=listings&listing={draft['id']}")
    photos = page.get_by_role("group", name="Photographs")
    chooser = photos.get_by_label("Choose photos")
    await expect(chooser).to_be_attached()
    await photos.locator(".photo-list").evaluate(RECORD_CHANGES)

    # 1. A photo uploads with a progress bar, is processed, and shows its thumbnail.
    top_view = tmp_path / "top-view.jpg"
    top_view.write_bytes(support.jpeg(2400, 1800))
    await slow_uploads(context, page, 256 * 1024)
    await chooser.set_input_files(top_view)
    first = photos.locator(".photo-item").nth(0)
    await expect(first.get_by_role("progressbar", name="Uploading top-view.jpg")).to_be_visible()
    await expect(first).to_have_attribute("data-state", "ready")
    await page.wait_for_function(LOADED, arg=await first.locator("img").element_handle())
    changes = await page.evaluate("window.photoChanges")
    percents = [int(value) for name, value in changes if name == "value"]
    assert any(0 < percent < 100 for percent in percents), f"no progress seen between 0 and 100: {percents}"
    states = [value for name, value in changes if name == "data-state"]
    assert states[:3] == ["uploading", "processing", "ready"], states
    await slow_uploads(context, page, None)

    # 2. Files that are not photos (a GIF, a text file named .jpg) and a photo too small are
    # refused, each in words, never by its code.
    notes = tmp_path / "notes.jpg"
    notes.write_text("Silver wire, borax, pickle, 600-grit paper")
    sparkle = tmp_path / "sparkle.gif"
    sparkle.write_bytes(gif())
    tiny = tmp_path / "tiny.jpg"
    tiny.write_bytes(support.jpeg(900, 600))
    await chooser.set_input_files([notes, sparkle, tiny])
    refused = photos.locator(".photo-item[data-state='failed']")
    await expect(refused).to_have_count(3)
    not_a_photo = "This file is not a photo we can use. Upload a JPEG, PNG, WebP or HEIC photo."
    for name, message in (
        ("notes.jpg", not_a_photo),
        ("sparkle.gif", not_a_photo),
        ("tiny.jpg", "This photo is too small: it needs at least 800 pixels on its shorter side."),
    ):
        item = refused.filter(has=page.get_by_role("button", name=f"Remove ({name})"))
        await expect(item.get_by_role("alert")).to_have_text(message)
    for code in ("unsupported_media_type", "image_too_small"):
        await expect(page.locator("main")).not_to_contain_text(code)
    await photos.get_by_role("button", name="Remove (notes.jpg)").click()
    await expect(refused).to_have_count(2)

    # 3. A second photo becomes the main photo; publishing without alt text is explained.
    side_view = tmp_path / "side-view.jpg"
    side_view.write_bytes(support.jpeg(1000, 1000))
    await chooser.set_input_files(side_view)
    await expect(photos.locator(".photo-item[data-state='ready']")).to_have_count(2)
    await photos.get_by_role("button", name="Make main photo (photo 2)").click()
    await expect(photos.get_by_role("button", name="Move right (photo 1)")).to_be_focused()
    # The square side view is first now, marked as the main photo.
    main_item = photos.locator(".photo-item").first
    await expect(main_item.locator(".photo-item__main")).to_have_text("Main photo")
    await expect(main_item.locator("img")).to_have_attribute("height", "960")
    await expect(main_item.locator("img")).to_have_attribute("width", "960")

    editor = page.locator("form.listing-form")
    await editor.get_by_role("button", name="Save and publish").click()
    alt_error = editor.locator("[data-field-loc='photos.0.alt'] .field-error")
    await expect(alt_error).to_have_text(re.compile("Describe each photograph in 3 to 200 characters"))
    await expect(alt_error).to_have_attribute("data-code", "alt_text_required")
    await expect(page.locator("main")).not_to_contain_text("alt_text_required")

    side_alt = f"Hammered silver band {tag} with a blue sapphire, seen from the side"
    top_alt = f"The same band {tag} seen from above"
    await photos.get_by_label("Alt text for photo 1").fill(side_alt)
    await photos.get_by_label("Alt text for photo 2").fill(top_alt)

    # The editor with its photos fits a phone.
    await page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    assert await page.evaluate(OVERFLOW) <= 0, "the editor scrolls sideways on a phone"
    assert await page.evaluate(UNLABELLED_CONTROLS) == []

    await editor.get_by_role("button", name="Save and publish").click()
    row = page.locator(".listing-row", has_text=f"Hammered band {tag}")
    await expect(row.locator(".pill")).to_have_text("Published")
    _, listing = await gw.call("GET", f"/listings/{draft['id']}", expect=200)
    assert [photo["alt"] for photo in listing["photos"]] == [side_alt, top_alt]

    # 4. The product page: the main photo, responsive and loaded from /media/.
    shopper = await (await new_context()).new_page()
    await shopper.goto(f"/listings/{draft['id']}")
    main_image = shopper.locator(".gallery__zoom img")
    await expect(main_image).to_have_attribute("alt", side_alt)
    await shopper.wait_for_function(LOADED, arg=await main_image.element_handle())
    shown = await main_image.evaluate(
        """(img) => ({srcset: img.srcset, sizes: img.sizes, width: img.getAttribute('width'),
             height: img.getAttribute('height'), loading: img.loading,
             placeholder: img.parentElement.style.getPropertyValue('--placeholder')})"""
    )
    assert all(f"{width}w" in shown["srcset"] for width in (160, 480, 960)), shown["srcset"]
    assert all(listing["photos"][0]["urls"][width] in shown["srcset"] for width in ("160", "480", "960"))
    assert "min-width" in shown["sizes"]
    assert shown["width"] == shown["height"], "a square photo keeps its square shape"
    assert shown["loading"] == "eager"
    assert shown["placeholder"].startswith('url("data:image/')
    thumbnails = shopper.get_by_role("list", name="Photos").locator("img")
    await expect(thumbnails).to_have_count(2)
    assert {await thumb.get_attribute("loading") for thumb in await thumbnails.all()} == {"lazy"}

    await shopper.get_by_role("button", name=re.compile("Show photo 2 of 2")).click()
    await expect(main_image).to_have_attribute("alt", top_alt)

    # Zoom from the keyboard: the 1600 px rendition in a dialog, closed by Escape.
    enlarge = shopper.get_by_role("button", name=re.compile("Enlarge"))
    await enlarge.focus()
    await shopper.keyboard.press("Enter")
    dialog = shopper.get_by_role("dialog", name=top_alt)
    await expect(dialog).to_be_visible()
    zoomed = dialog.locator("img")
    await expect(zoomed).to_have_attribute("src", listing["photos"][1]["urls"]["1600"])
    await shopper.wait_for_function(LOADED, arg=await zoomed.element_handle())
    await shopper.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(enlarge).to_be_focused()

    # 5. Search shows the main photo instead of the drawn diamond.
    await shopper.goto(f"/search?q={tag}")
    card = shopper.get_by_role("list", name="Results").get_by_role("listitem")
    await expect(card).to_have_count(1)
    await expect(card.locator(".piece-image--placeholder")).to_have_count(0)
    await shopper.wait_for_function(LOADED, arg=await card.locator("img").element_handle())
    assert await card.locator("img").get_attribute("sizes")
