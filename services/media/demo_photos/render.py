"""The entry point: a described piece drawn in the studio and saved as a JPEG."""

from __future__ import annotations

import io
import random

from services.media.demo_photos.backdrop import _backdrop, _halved, _shadowed
from services.media.demo_photos.bands_and_chains import (
    _draw_anklet,
    _draw_bangle,
    _draw_bracelet,
    _draw_necklace,
    _draw_pendant,
    _draw_ring,
)
from services.media.demo_photos.colours import _SUPERSAMPLE, _metal_palette
from services.media.demo_photos.model import PHOTO_SIZE, VIEWS, Piece, View
from services.media.demo_photos.small_pieces import _draw_brooch, _draw_charm, _draw_cufflinks, _draw_earrings
from services.media.demo_photos.studio import _Studio


def render_product_photo(
    piece: Piece, seed: str, view: View = "front", size: tuple[int, int] = PHOTO_SIZE, quality: int = 88
) -> bytes:
    """A JPEG studio photo of `piece`; the same arguments always give the same bytes."""
    if piece.category not in _DRAWINGS:
        raise ValueError(f"no drawing for a {piece.category!r}")
    if view not in VIEWS:
        raise ValueError(f"no view {view!r}")
    rng = random.Random(f"{seed}|{piece.category}")
    backdrop = _backdrop(size, rng, view)
    spin = rng.uniform(-6.0, 6.0) + (rng.choice((-12.0, 12.0)) if view == "angle" else 0.0)
    studio = _Studio(
        size=(size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE),
        metal=_metal_palette(piece.metal, piece.metal_colour),
        rng=rng,
        zoom={"front": 1.0, "angle": 0.94, "close": 1.6}[view],
        degrees=spin,
    )
    _DRAWINGS[piece.category](studio, piece)
    piece_image, corner = _halved(studio.layer)
    photo = _shadowed(backdrop, piece_image, corner, size)
    photo.paste(piece_image, corner, piece_image)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=quality)
    return out.getvalue()


_DRAWINGS = {
    "ring": _draw_ring,
    "necklace": _draw_necklace,
    "pendant": _draw_pendant,
    "earrings": _draw_earrings,
    "bracelet": _draw_bracelet,
    "bangle": _draw_bangle,
    "brooch": _draw_brooch,
    "cufflinks": _draw_cufflinks,
    "anklet": _draw_anklet,
    "charm": _draw_charm,
}


# The categories a piece may be drawn as: the listings' categories, each with its drawing.
CATEGORIES: tuple[str, ...] = tuple(_DRAWINGS)
