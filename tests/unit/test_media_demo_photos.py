"""The demo product photos: every kind of piece draws, as a JPEG of the photo's size that the
media service accepts, the same bytes for the same piece and seed, and different pictures for
different pieces and seeds."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from services.media.demo_photos import CATEGORIES, PHOTO_SIZE, VIEWS, Piece, Stone, render_product_photo

PIECES = {
    "ring": Piece("ring", "gold", "yellow", (Stone("sapphire", 1),)),
    "necklace": Piece("necklace", "silver", None, (Stone("pearl", 4),)),
    "pendant": Piece("pendant", "gold", "rose", (Stone("ruby", 1),)),
    "earrings": Piece("earrings", "platinum", None, (Stone("diamond", 2),)),
    "bracelet": Piece("bracelet", "gold", "white", (Stone("emerald", 4),)),
    "bangle": Piece("bangle", "silver"),
    "brooch": Piece("brooch", "palladium", None, (Stone("garnet", 1),)),
    "cufflinks": Piece("cufflinks", "silver", None, (Stone("onyx", 2),)),
    "anklet": Piece("anklet", "gold", "yellow", (Stone("opal", 2),)),
    "charm": Piece("charm", "other", None, (Stone("peridot", 1, colour="green"),)),
}


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def sharp_share(image: Image.Image) -> float:
    """The share of pixels that differ clearly from their blurred neighbourhood: edges."""
    grey = image.convert("L")
    histogram = ImageChops.difference(grey, grey.filter(ImageFilter.GaussianBlur(6))).histogram()
    return sum(histogram[24:]) / sum(histogram)


def test_every_category_has_a_piece_here() -> None:
    assert set(PIECES) == set(CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_renders_a_studio_photo(category: str) -> None:
    image = decoded(render_product_photo(PIECES[category], seed=f"listing-{category}"))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == PHOTO_SIZE
    assert min(image.size) >= 800  # the media service refuses a photo under 800 px on its short side
    # A piece is drawn on the backdrop: the backdrop alone is smooth everywhere (0 % here), a
    # piece has edges (0.6-2.5 % of the photo, the plain bangle least).
    assert sharp_share(image) > 0.003


@pytest.mark.parametrize("view", VIEWS)
def test_the_same_piece_and_seed_give_the_same_bytes(view: str) -> None:
    piece = PIECES["ring"]
    first = render_product_photo(piece, seed="aurum:3", view=view)  # type: ignore[arg-type]
    assert render_product_photo(piece, seed="aurum:3", view=view) == first  # type: ignore[arg-type]


def test_seeds_views_metals_and_stones_change_the_picture() -> None:
    ring = PIECES["ring"]
    photos = {
        render_product_photo(ring, seed="a"),
        render_product_photo(ring, seed="b"),
        render_product_photo(ring, seed="a", view="close"),
        render_product_photo(Piece("ring", "silver", None, ring.stones), seed="a"),
        render_product_photo(Piece("ring", "gold", "yellow", (Stone("emerald", 1),)), seed="a"),
        render_product_photo(Piece("ring", "gold", "yellow"), seed="a"),
    }
    assert len(photos) == 6


def test_the_metal_colour_shows() -> None:
    """Yellow gold is drawn warmer than silver: the piece's pixels lean to red over blue."""

    def warmth(piece: Piece) -> float:
        image = decoded(render_product_photo(piece, seed="same", size=(800, 600)))
        # The backdrop is the same for both (same seed and category), so the difference is the piece.
        r, _, b = ImageStat.Stat(image).mean
        return r - b

    assert warmth(Piece("bangle", "gold", "yellow")) > warmth(Piece("bangle", "silver")) + 2


def test_a_smaller_size_and_unknown_stones_still_draw() -> None:
    piece = Piece("brooch", "other", None, (Stone("tsavorite", 3, colour="mauve"), Stone("pearl", 2)))
    image = decoded(render_product_photo(piece, seed="x", size=(1200, 900), quality=80))
    assert image.size == (1200, 900)


def test_an_unknown_category_or_view_is_refused() -> None:
    with pytest.raises(ValueError, match="tiara"):
        render_product_photo(Piece("tiara", "gold"), seed="x")
    with pytest.raises(ValueError, match="sideways"):
        render_product_photo(PIECES["ring"], seed="x", view="sideways")  # type: ignore[arg-type]
