"""The demo pieces' photos and their alt text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.catalogue.seed.ranges import _CATEGORY_NOUNS, _STONE_WORDS, DemoMakerFacts
from shared.demo import demo_id


@dataclass(frozen=True)
class DemoPhoto:
    """A photo of a demo piece, as the media seed draws and uploads it (its DemoPhotoFacts): a
    maker's pieces that look alike in a photo (the same kind of piece, metal colour and stones)
    share one, as a maker photographs a design once."""

    image_id: uuid.UUID
    user_id: uuid.UUID
    category: str
    metal: str
    metal_colour: str | None
    stones: tuple[tuple[str, int], ...]  # (type, count)
    view: Literal["front", "angle", "close"]
    seed: str


_COUNTS = {1: "a", 2: "two", 3: "three", 4: "four"}
_PAIRS = frozenset({"earrings", "cufflinks"})


# How each photo shows the piece, in its alt text. The second photo of a piece with stones is a
# close-up of them, of a piece without, a view from an angle.
_VIEWS = {"front": "seen from the front", "angle": "seen from an angle", "close": "close up"}
MOST_PHOTOS = 2  # a piece has one or two photos (about 300 for the whole demo: the worker's load)


def _photos(
    maker: DemoMakerFacts,
    category: str,
    metal: str,
    colour: str | None,
    metal_name: str,
    stones: Sequence[dict[str, Any]],
    pictures: int,
) -> list[tuple[DemoPhoto, str]]:
    """The piece's photos (at most `pictures`, at most MOST_PHOTOS), each with its alt text."""
    drawn = tuple((stone["type"], stone["count"]) for stone in stones)
    views: tuple[Literal["front", "angle", "close"], ...] = ("front", "close" if stones else "angle")
    photos = []
    for view in views[: min(pictures, MOST_PHOTOS)]:
        key = f"{maker.handle}:{category}:{metal}:{colour}:{drawn}:{view}"
        photo = DemoPhoto(demo_id("image", key), maker.user_id, category, metal, colour, drawn, view, key)
        photos.append((photo, _alt_text(category, metal_name, stones, _VIEWS[view])))
    return photos


def _alt_text(category: str, metal_name: str, stones: Sequence[dict[str, Any]], view: str) -> str:
    """What the photo shows, for people who cannot see it: "18ct yellow gold ring with a
    laboratory-grown sapphire, seen from the front"."""
    piece = f"{metal_name} {_CATEGORY_NOUNS[category]}"
    if category in _PAIRS:
        piece = f"a pair of {piece}"
    for stone in stones:
        name = f"{_STONE_WORDS[stone['origin']]}{stone['type']}"
        count = stone["count"]
        number = _COUNTS.get(count, str(count))
        if name.endswith("glass"):  # a mass noun: counted in pieces
            name = f"piece{'' if count == 1 else 's'} of {name}"
        elif count > 1:
            name += "es" if name.endswith(("x", "z", "sh")) else "s"  # onyxes, topazes
        if count == 1 and name[0] in "aeiou":
            number = "an"
        piece += f" with {number} {name}"
    return f"{piece[0].upper()}{piece[1:]}, {view}"
