"""What a demo photo shows: a piece described by its category, metal and stones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

View = Literal["front", "angle", "close"]


VIEWS: tuple[View, ...] = ("front", "angle", "close")


PHOTO_SIZE = (1600, 1200)


RGB = tuple[int, int, int]


Point = tuple[float, float]


Shape = list[tuple[list[Point], int]]  # polygons, each filled with 255 (metal) or 0 (a hole)


@dataclass(frozen=True)
class Stone:
    """Stones of one kind in a piece. `colour` names a colour when the type alone does not say
    it (a pink sapphire); an unknown type or colour is drawn as a neutral stone."""

    type: str
    count: int = 1
    colour: str | None = None


@dataclass(frozen=True)
class Piece:
    """What the photo shows. `metal` is gold, silver, platinum, palladium or other;
    `metal_colour` is yellow, white or rose (for gold; the other metals have their own)."""

    category: str
    metal: str
    metal_colour: str | None = None
    stones: tuple[Stone, ...] = ()
