"""The colours of metals, stones and backdrops, and the lookup tables that shade them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.media.demo_photos.model import RGB, Stone

_SUPERSAMPLE = 2


_BACKDROP_SCALE = 4


# Dark to light: the reflections of each metal (a gradient through these stops).
_METALS: dict[str, tuple[RGB, ...]] = {
    "yellow gold": ((58, 38, 8), (140, 98, 28), (212, 168, 72), (246, 222, 140), (255, 248, 220)),
    "rose gold": ((70, 36, 30), (150, 88, 70), (214, 148, 124), (242, 200, 180), (255, 242, 235)),
    "white gold": ((62, 61, 58), (140, 138, 130), (205, 203, 194), (236, 234, 226), (255, 255, 250)),
    "silver": ((55, 58, 62), (135, 139, 144), (200, 203, 208), (236, 238, 241), (255, 255, 255)),
    "platinum": ((60, 62, 66), (128, 131, 136), (190, 193, 198), (228, 230, 233), (250, 251, 252)),
    "palladium": ((50, 52, 55), (112, 114, 118), (172, 174, 178), (214, 216, 219), (244, 244, 246)),
    "bronze": ((55, 35, 20), (130, 85, 45), (190, 135, 80), (230, 190, 140), (252, 235, 210)),
}


_NAMED_COLOURS: dict[str, RGB] = {
    "white": (222, 230, 238),
    "colourless": (222, 230, 238),
    "black": (30, 30, 34),
    "blue": (28, 60, 170),
    "pink": (228, 110, 160),
    "red": (180, 18, 40),
    "green": (20, 140, 80),
    "yellow": (236, 190, 40),
    "orange": (232, 120, 30),
    "purple": (110, 50, 150),
    "violet": (110, 50, 150),
    "teal": (20, 140, 140),
    "champagne": (226, 196, 150),
    "grey": (140, 145, 150),
}


_Cut = Literal["faceted", "cabochon", "moonstone", "pearl", "opal", "glass"]


# type: (colour, how it is cut)
_STONES: dict[str, tuple[RGB, _Cut]] = {
    "diamond": ((222, 230, 238), "faceted"),
    "cubic zirconia": ((226, 232, 240), "faceted"),
    "moissanite": ((226, 232, 240), "faceted"),
    "sapphire": ((28, 60, 170), "faceted"),
    "ruby": ((180, 18, 40), "faceted"),
    "emerald": ((20, 140, 80), "faceted"),
    "garnet": ((120, 12, 28), "faceted"),
    "citrine": ((232, 150, 24), "faceted"),
    "aquamarine": ((120, 196, 220), "faceted"),
    "spinel": ((200, 30, 84), "faceted"),
    "peridot": ((140, 190, 40), "faceted"),
    "amethyst": ((120, 60, 170), "faceted"),
    "topaz": ((90, 170, 220), "faceted"),
    "tourmaline": ((210, 80, 120), "faceted"),
    "tanzanite": ((80, 70, 180), "faceted"),
    "morganite": ((236, 170, 160), "faceted"),
    "moonstone": ((200, 212, 232), "moonstone"),
    "onyx": ((24, 24, 28), "cabochon"),
    "turquoise": ((60, 180, 180), "cabochon"),
    "lapis lazuli": ((30, 50, 140), "cabochon"),
    "jade": ((70, 150, 90), "cabochon"),
    "labradorite": ((80, 100, 110), "cabochon"),
    "opal": ((226, 232, 236), "opal"),
    "pearl": ((240, 232, 218), "pearl"),
    "sea glass": ((150, 200, 172), "glass"),
}


_UNKNOWN_STONE: tuple[RGB, _Cut] = ((150, 120, 170), "faceted")


# Backdrop hues (hue, saturation): a photographer's paper rolls, none louder than the piece.
_BACKDROPS = ((0.08, 0.10), (0.58, 0.08), (0.33, 0.07), (0.95, 0.07), (0.11, 0.05), (0.0, 0.0), (0.52, 0.06))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    t = min(1.0, max(0.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _gradient_lut(stops: Sequence[RGB]) -> list[int]:
    """A lookup table for `Image.point` on an RGB image (R, G and B bands of 256) that maps
    0..255 through the stops."""
    bands: list[list[int]] = [[], [], []]
    last = len(stops) - 1
    for v in range(256):
        position = v / 255 * last
        i = min(int(position), last - 1)
        colour = _mix(stops[i], stops[i + 1], position - i)
        for band in range(3):
            bands[band].append(colour[band])
    return bands[0] + bands[1] + bands[2]


@dataclass(frozen=True)
class _Metal:
    lut: list[int]

    def tone(self, level: float, alpha: int = 255) -> tuple[int, int, int, int]:
        """The metal's colour at `level` (0 darkest, 1 brightest)."""
        v = round(min(1.0, max(0.0, level)) * 255)
        return (self.lut[v], self.lut[256 + v], self.lut[512 + v], alpha)


def _metal_palette(metal: str, colour: str | None) -> _Metal:
    if metal == "gold":
        name = f"{colour if colour in ('white', 'rose') else 'yellow'} gold"
    elif metal in _METALS:
        name = metal
    elif colour in ("white", "rose", "yellow"):
        name = f"{colour} gold"
    else:
        name = "bronze"
    return _Metal(_gradient_lut(_METALS[name]))


def _stone_look(stone: Stone) -> tuple[RGB, _Cut]:
    colour, cut = _STONES.get(stone.type.lower(), _UNKNOWN_STONE)
    if stone.colour and stone.colour.lower() in _NAMED_COLOURS:
        colour = _NAMED_COLOURS[stone.colour.lower()]
    return colour, cut


def _reflection_lut(phase: float, bands: float) -> list[int]:
    """Shade across a polished surface (0-255): the bright bands of two soft boxes, dark between."""
    out = []
    for v in range(256):
        t = v / 255
        s = (
            0.52
            + 0.34 * math.cos(2 * math.pi * (t * bands + phase))
            + 0.16 * math.cos(2 * math.pi * (t * bands * 2.3 + phase * 1.7))
        )
        out.append(round(255 * min(1.0, max(0.0, s))))
    return out


def _scaled(factor: float) -> list[int]:
    return [round(v * factor) for v in range(256)]
