"""Product photos for the demo marketplace, drawn with Pillow: a studio shot of a described piece.

The demo listings need photos that look like jewellery without shipping any: each seeded piece
gets a picture drawn from its description (category, metal and its colour, stones), on a soft
paper backdrop, with the metal in a reflective gradient of its own colour, faceted stones with
highlights and a soft shadow. The same description and `seed` always give the same bytes; the
seed varies the backdrop's hue, the angle and the design's details, so pieces do not all look
alike. A different `view` shows the same piece turned further or closer.

The piece is drawn at twice the photo's size and halved (that is the antialiasing). Every shape
is a polygon through one pen that turns it about the piece's middle, which is far cheaper than
turning the finished picture. The result is a JPEG, as a maker's camera would give it: the
media pipeline treats it like any other upload.
"""

from __future__ import annotations

import colorsys
import io
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter

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


# --- colours ---------------------------------------------------------------------------------------

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


# --- backdrop, shadow, scaling --------------------------------------------------------------------


def _backdrop(size: tuple[int, int], rng: random.Random, view: View) -> Image.Image:
    """A paper sweep, deeper at the top, light where the piece rests, a glow behind it; at a
    quarter of the photo's size (it is smooth everywhere: it is scaled up with its shadow)."""
    hue, saturation = rng.choice(_BACKDROPS)
    hue = (hue + rng.uniform(-0.02, 0.02)) % 1.0

    def colour(value: float, sat: float = saturation) -> RGB:
        r, g, b = colorsys.hsv_to_rgb(hue, min(1.0, sat), value)
        return (round(r * 255), round(g * 255), round(b * 255))

    small = (size[0] // _BACKDROP_SCALE, size[1] // _BACKDROP_SCALE)
    top = Image.new("RGB", small, colour(0.74 + rng.uniform(-0.04, 0.03), saturation * 1.3))
    floor = Image.new("RGB", small, colour(0.95))
    horizon = rng.uniform(0.42, 0.6) if view != "close" else 0.3
    sweep = Image.linear_gradient("L").point(
        [round(255 * _smoothstep((v / 255 - horizon + 0.45) / 0.9)) for v in range(256)]
    )
    image = Image.composite(floor, top, sweep.resize(small, Image.Resampling.BILINEAR))
    glow = ImageChops.invert(Image.radial_gradient("L")).point(
        [round(v * v / 255 * 0.75) for v in range(256)]
    )
    glow = glow.resize((round(small[0] * 1.1), round(small[1] * 1.25)), Image.Resampling.BILINEAR)
    mask = Image.new("L", small, 0)
    mask.paste(glow, (round(small[0] * (rng.uniform(-0.1, 0.1) - 0.05)), round(small[1] * -0.15)))
    return Image.composite(Image.new("RGB", small, colour(1.0, saturation * 0.4)), image, mask)


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _halved(layer: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    """The piece's own box of the supersampled layer at the photo's size, and its corner."""
    bbox = layer.getbbox() or (0, 0, _SUPERSAMPLE, _SUPERSAMPLE)
    x0, y0 = bbox[0] // _SUPERSAMPLE * _SUPERSAMPLE, bbox[1] // _SUPERSAMPLE * _SUPERSAMPLE
    return layer.crop((x0, y0, bbox[2], bbox[3])).reduce(_SUPERSAMPLE), (
        x0 // _SUPERSAMPLE,
        y0 // _SUPERSAMPLE,
    )


def _shadowed(
    backdrop: Image.Image, piece: Image.Image, corner: tuple[int, int], size: tuple[int, int]
) -> Image.Image:
    """The backdrop darkened under the piece (a wide soft shadow and a tighter contact one),
    at the photo's size. Both are soft, so they are made at the backdrop's scale."""
    scale = _BACKDROP_SCALE
    alpha = Image.new("L", backdrop.size, 0)
    alpha.paste(piece.getchannel("A").reduce(scale), (corner[0] // scale, corner[1] // scale))
    soft = Image.new("L", backdrop.size, 0)
    soft.paste(alpha, (round(backdrop.width * 0.012), round(backdrop.height * 0.03)))
    soft = soft.filter(ImageFilter.GaussianBlur(backdrop.width / 90)).point(_scaled(0.42))
    contact = alpha.filter(ImageFilter.GaussianBlur(backdrop.width / 500)).point(_scaled(0.35))
    dark = ImageChops.multiply(backdrop, Image.new("RGB", backdrop.size, (92, 86, 84)))
    shadowed = Image.composite(dark, backdrop, ImageChops.lighter(soft, contact))
    return shadowed.resize(size, Image.Resampling.BILINEAR)


# --- geometry --------------------------------------------------------------------------------------


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _oval(x: float, y: float, rx: float, ry: float, angle: float = 0.0, steps: int = 48) -> list[Point]:
    """An ellipse as a polygon, its axes turned by `angle` (radians)."""
    cos, sin = math.cos(angle), math.sin(angle)
    points = []
    for k in range(steps):
        a = 2 * math.pi * k / steps
        px, py = math.cos(a) * rx, math.sin(a) * ry
        points.append((x + px * cos - py * sin, y + px * sin + py * cos))
    return points


def _arc(x: float, y: float, rx: float, ry: float, start: float, end: float, steps: int) -> list[Point]:
    return [
        (
            x + rx * math.cos(start + (end - start) * k / steps),
            y + ry * math.sin(start + (end - start) * k / steps),
        )
        for k in range(steps + 1)
    ]


def _walk(path: Sequence[Point], step: float) -> list[tuple[Point, Point]]:
    """Consecutive points `step` apart along a polyline: the ends of each chain link."""
    out: list[tuple[Point, Point]] = []
    previous = path[0]
    carried = 0.0
    for a, b in itertools.pairwise(path):
        length = math.dist(a, b)
        t = step - carried
        while t <= length:
            point = _lerp(a, b, t / length)
            out.append((previous, point))
            previous = point
            t += step
        carried = length - (t - step)
    return out


def _stations(count: int, start: float, end: float) -> list[float]:
    """`count` evenly spread positions from start to end (one alone sits in the middle)."""
    if count <= 1:
        return [(start + end) / 2]
    return [start + (end - start) * k / (count - 1) for k in range(count)]


def _leaf(base: Point, tip: Point, width: float, steps: int = 24) -> list[Point]:
    """A pointed petal from `base` to `tip`, `width` of its length across at the widest."""
    length = math.dist(base, tip)
    angle = math.atan2(tip[1] - base[1], tip[0] - base[0])
    cos, sin = math.cos(angle), math.sin(angle)
    half = [
        (t * length, math.sin(math.pi * t) ** 0.8 * width * length / 2)
        for t in (k / steps for k in range(steps + 1))
    ]
    outline = half + [(px, -py) for px, py in reversed(half)]
    return [(base[0] + px * cos - py * sin, base[1] + px * sin + py * cos) for px, py in outline]


def _shown_stones(piece: Piece, most: int) -> list[Stone]:
    """One entry per stone to draw, at most `most` (a pavé of forty is drawn as a few)."""
    return [stone for stone in piece.stones for _ in range(max(1, stone.count))][:most]


# --- the studio: a transparent layer to draw the piece on ------------------------------------------


class _Studio:
    """The piece's layer (RGBA, supersampled) and the brushes that paint metal and stones.

    Drawings place points with `at` (in units of `u`, a share of the layer's height that a
    close view enlarges, from the piece's middle); every brush turns what it draws by the
    photo's angle about that middle."""

    def __init__(
        self, size: tuple[int, int], metal: _Metal, rng: random.Random, zoom: float, degrees: float
    ) -> None:
        self.layer = Image.new("RGBA", size)  # transparent (zeroed memory: no fill pass)
        self.draw = ImageDraw.Draw(self.layer, "RGBA")
        self.metal = metal
        self.rng = rng
        self.zoom = zoom
        self.u = size[1] * 0.92 * zoom
        self.cx = size[0] / 2 + rng.uniform(-0.03, 0.03) * size[1]
        self.cy = size[1] / 2 + rng.uniform(-0.02, 0.02) * size[1]
        self._cos, self._sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))

    def focus(self, x: float, y: float) -> None:
        """A close view centres on this point (units from the middle). Call before drawing."""
        if self.zoom > 1.2:
            self.cx -= x * self.u
            self.cy -= y * self.u

    def at(self, x: float, y: float) -> Point:
        return (self.cx + x * self.u, self.cy + y * self.u)

    def turn(self, point: Point) -> Point:
        dx, dy = point[0] - self.cx, point[1] - self.cy
        return (self.cx + dx * self._cos - dy * self._sin, self.cy + dx * self._sin + dy * self._cos)

    def turned(self, points: Sequence[Point]) -> list[Point]:
        return [self.turn(p) for p in points]

    # -- flat drawing

    def polygon(self, points: Sequence[Point], fill: tuple[int, int, int, int]) -> None:
        self.draw.polygon(self.turned(points), fill=fill)

    def line(self, points: Sequence[Point], fill: tuple[int, int, int, int], width: float) -> None:
        self.draw.line(self.turned(points), fill=fill, width=max(1, round(width)), joint="curve")

    def disc(self, x: float, y: float, r: float, fill: tuple[int, int, int, int]) -> None:
        tx, ty = self.turn((x, y))
        self.draw.ellipse((tx - r, ty - r, tx + r, ty + r), fill=fill)

    # -- metal

    def paint_metal(
        self, shape: Shape, angle: float, bands: float = 1.6, dim: float = 1.0
    ) -> tuple[Image.Image, Point]:
        """Fill `shape` with polished metal: the reflections of soft boxes, at `angle` degrees
        across it. Returns the shape's mask and where its corner sits on the layer."""
        polygons = [(self.turned(points), fill) for points, fill in shape]
        xs = [x for points, _ in polygons for x, _ in points]
        ys = [y for points, _ in polygons for _, y in points]
        x0, y0 = max(0, math.floor(min(xs)) - 2), max(0, math.floor(min(ys)) - 2)
        x1, y1 = min(self.layer.width, math.ceil(max(xs)) + 2), min(self.layer.height, math.ceil(max(ys)) + 2)
        mask = Image.new("L", (max(1, x1 - x0), max(1, y1 - y0)))
        pen = ImageDraw.Draw(mask)
        for points, fill in polygons:
            pen.polygon([(x - x0, y - y0) for x, y in points], fill=fill)
        stripes = Image.linear_gradient("L").point(_reflection_lut(self.rng.uniform(0, 1), bands))
        stripes = stripes.rotate(angle, resample=Image.Resampling.BILINEAR).crop((48, 48, 208, 208))
        shade = stripes.resize(mask.size, Image.Resampling.BILINEAR)
        if dim < 1.0:
            shade = shade.point(_scaled(dim))
        self.layer.paste(shade.convert("RGB").point(self.metal.lut), (x0, y0), mask)
        return mask, (x0, y0)

    def wire(self, points: Sequence[Point], width: float, closed: bool = False) -> None:
        """A round wire along `points`: dark edges, a lit core and a highlight toward the light."""
        path = [*points, points[0]] if closed else list(points)
        for level, share, lift in (
            (0.12, 1.0, 0.0),
            (0.45, 0.72, 0.05),
            (0.75, 0.45, 0.12),
            (0.97, 0.18, 0.2),
        ):
            shifted = [(x - width * lift * 0.4, y - width * lift) for x, y in path]
            self.line(shifted, self.metal.tone(level), width * share)
            if not closed:
                for x, y in (shifted[0], shifted[-1]):
                    self.disc(x, y, width * share / 2, self.metal.tone(level))

    def bead(self, x: float, y: float, r: float) -> None:
        """A polished metal ball: a claw's tip, a granule, a bead."""
        for level, share, lift in ((0.1, 1.0, 0.0), (0.45, 0.82, 0.1), (0.78, 0.5, 0.28), (1.0, 0.18, 0.45)):
            self.disc(x - r * lift * 0.7, y - r * lift, r * share, self.metal.tone(level))

    def chain(self, path: Sequence[Point], link: float, thickness: float) -> None:
        """A cable chain along `path`: links alternately face on (open ovals) and edge on."""
        for i, ((x0, y0), (x1, y1)) in enumerate(_walk(path, link)):
            if i % 2:
                self.wire(
                    [_lerp((x0, y0), (x1, y1), -0.15), _lerp((x0, y0), (x1, y1), 1.15)], thickness * 1.25
                )
                continue
            oval = self.turned(
                _oval(
                    (x0 + x1) / 2, (y0 + y1) / 2, link * 0.68, link * 0.36, math.atan2(y1 - y0, x1 - x0), 32
                )
            )
            self.draw.polygon(oval, outline=self.metal.tone(0.2), width=max(1, round(thickness)))
            lit = [(x - thickness * 0.12, y - thickness * 0.22) for x, y in oval]
            self.draw.line(lit[4:12], fill=self.metal.tone(0.95), width=max(1, round(thickness * 0.4)))
            self.draw.line(lit[20:28], fill=self.metal.tone(0.7), width=max(1, round(thickness * 0.35)))

    def bezel(self, x: float, y: float, rx: float, ry: float) -> None:
        """A collar of metal around a stone."""
        for level, grow, lift in ((0.15, 1.12, 0.0), (0.55, 1.08, 0.02), (0.9, 1.03, 0.04), (0.35, 1.0, 0.0)):
            self.polygon(_oval(x, y - rx * lift, rx * grow, ry * grow), self.metal.tone(level))

    # -- stones

    def stone(
        self, stone: Stone, x: float, y: float, r: float, squash: float = 1.0, setting: bool = True
    ) -> None:
        """A stone seen from above (squashed: seen at a slant) in its setting: claws for a
        faceted stone, a bezel for a domed one, none for a pearl (it is drilled and pinned)."""
        colour, cut = _stone_look(stone)
        if cut == "pearl":
            self._pearl(x, y, r, colour)
            return
        if setting and cut != "faceted":
            self.bezel(x, y, r * 1.14, r * 1.14 * squash)
        if cut != "faceted":
            self._cabochon(x, y, r, r * squash, colour, cut)
            return
        self._brilliant(x, y, r, squash, colour)
        if setting:
            claws = 4 if r < self.u * 0.05 else 6
            for k in range(claws):
                a = math.pi / 4 + 2 * math.pi * k / claws
                self.bead(x + math.cos(a) * r * 0.95, y + math.sin(a) * r * 0.95 * squash, r * 0.13)

    def gem_side(self, stone: Stone, x: float, y: float, r: float) -> None:
        """A stone standing in a setting, seen a little from above: its pavilion below the
        girdle, its crown above."""
        colour, cut = _stone_look(stone)
        if cut != "faceted":
            self.stone(stone, x, y, r, squash=0.85)
            return
        dark = _mix(colour, (5, 8, 20), 0.6)
        girdle = [(x - r + 2 * r * k / 6, y) for k in range(7)]
        for k in range(6):
            self.polygon(
                [girdle[k], girdle[k + 1], (x, y + r * 0.9)],
                (*_mix(dark, colour, 0.3 + 0.7 * (k * 37 % 5) / 4), 255),
            )
        self._brilliant(x, y, r, 0.42, colour)

    def _brilliant(self, x: float, y: float, r: float, squash: float, colour: RGB) -> None:
        """A round brilliant from above: table, star, bezel and upper-girdle facets, each lit
        by its slope toward a light at the upper left, then a sparkle or two."""
        spin = self.rng.uniform(0, math.pi / 8)
        dark, light = _mix(colour, (8, 10, 20), 0.7), _mix(colour, (255, 255, 255), 0.55)
        colourless = sum(colour) > 600  # a diamond's dark facets are grey, with flashes of fire

        def p(radius: float, angle: float) -> Point:
            return (x + math.cos(angle + spin) * radius * r, y + math.sin(angle + spin) * radius * r * squash)

        def shade(angle: float, lit_side: int, kind: float) -> tuple[int, int, int, int]:
            lit = 0.5 + 0.5 * math.cos(angle + spin + 2.4) + (0.22 if lit_side else -0.1) + kind
            lit += self.rng.uniform(-0.12, 0.12)
            tone = _mix(dark, colour, lit * 1.6) if lit < 0.62 else _mix(colour, light, (lit - 0.62) * 2.4)
            if colourless and self.rng.random() < 0.12:
                tone = _mix(tone, self.rng.choice(((255, 120, 90), (90, 160, 255), (250, 220, 90))), 0.35)
            return (*tone, 255)

        self.polygon(_oval(x, y, r * 1.02, r * squash * 1.02), (*dark, 255))
        eighth = math.pi / 4
        for i in range(8):
            a = i * eighth
            table_a, table_b, star = p(0.56, a), p(0.56, a + eighth), p(0.8, a + eighth / 2)
            girdle = [p(1.0, a + k * eighth / 2) for k in range(3)]
            self.polygon([table_a, p(0.8, a - eighth / 2), girdle[0], star], shade(a, i % 2, 0.0))
            self.polygon([star, girdle[0], girdle[1]], shade(a + 0.2, (i + 1) % 2, -0.05))
            self.polygon([star, girdle[1], girdle[2]], shade(a + 0.6, i % 2, 0.05))
            self.polygon([table_a, table_b, star], shade(a + eighth / 2, (i + 1) % 2, 0.12))
        table = [p(0.56, i * eighth) for i in range(8)]
        self.polygon(table, (*_mix(colour, light, 0.25), 255))
        self.polygon([table[5], table[6], table[1], table[2]], (*light, 90))
        edge = (*_mix(light, (255, 255, 255), 0.5), 70)
        for i in range(8):
            self.line([p(0.56, i * eighth), p(1.0, i * eighth)], edge, r * 0.02)
        self.line([*table, table[0]], edge, r * 0.025)
        for _ in range(2):
            sx, sy = p(self.rng.uniform(0.2, 0.7), self.rng.uniform(0, 2 * math.pi))
            self.sparkle(sx, sy, r * self.rng.uniform(0.25, 0.4))

    def sparkle(self, x: float, y: float, size: float) -> None:
        thin = size * 0.12
        star = [
            (x, y - size), (x + thin, y - thin), (x + size, y), (x + thin, y + thin),
            (x, y + size), (x - thin, y + thin), (x - size, y), (x - thin, y - thin),
        ]  # fmt: skip
        self.polygon(star, (255, 255, 255, 235))
        self.disc(x, y, thin * 1.5, (255, 255, 255, 255))

    def _dome(self, x: float, y: float, rx: float, ry: float, stops: Sequence[RGB], light: float) -> None:
        """A lit dome: a radial gradient through `stops` (centre to rim), its brightest spot
        moved `light` of the radius toward the upper left."""
        tx, ty = self.turn((x, y))
        box = (round(tx - rx), round(ty - ry))
        size = (max(2, round(2 * rx)), max(2, round(2 * ry)))
        reach, shift = 100, round(light * 100)  # the window on the gradient, moved down-right
        window = (128 - reach + shift, 128 - reach + shift, 128 + reach + shift, 128 + reach + shift)
        dome = Image.radial_gradient("L").crop(window).resize(size, Image.Resampling.BILINEAR)
        lit = dome.convert("RGB").point(_gradient_lut(stops))
        mask = Image.new("L", size)
        ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
        self.layer.paste(lit, box, mask)

    def _cabochon(self, x: float, y: float, rx: float, ry: float, colour: RGB, cut: _Cut) -> None:
        """A domed stone: lit from the upper left, darker at its rim, with a window of light."""
        frosted = cut == "glass"
        rim = _mix(colour, (0, 0, 0), 0.25 if frosted else 0.55)
        self._dome(x, y, rx, ry, (_mix(colour, (255, 255, 255), 0.3 if frosted else 0.2), colour, rim), 0.12)
        if cut == "opal":
            for _ in range(14):
                fx, fy = x + self.rng.uniform(-0.6, 0.6) * rx, y + self.rng.uniform(-0.6, 0.6) * ry
                flash = self.rng.choice(
                    ((60, 200, 120), (60, 140, 255), (255, 110, 80), (250, 210, 60), (200, 90, 220))
                )
                self.polygon(
                    _oval(fx, fy, rx * self.rng.uniform(0.08, 0.2), ry * 0.14, self.rng.uniform(0, 3), 16),
                    (*flash, 120),
                )
        if cut == "moonstone":  # the blue sheen that floats across it
            self.polygon(_oval(x - rx * 0.05, y + ry * 0.12, rx * 0.55, ry * 0.42), (140, 180, 255, 70))
        gloss = 120 if frosted else 255
        self.polygon(
            _oval(x - rx * 0.3, y - ry * 0.46, rx * 0.25, ry * 0.16), (255, 255, 255, gloss * 2 // 3)
        )
        self.polygon(_oval(x - rx * 0.33, y - ry * 0.49, rx * 0.12, ry * 0.07), (255, 255, 255, gloss))

    def _pearl(self, x: float, y: float, r: float, colour: RGB) -> None:
        """A pearl: a sphere of soft lustre with a rosy overtone and a crisp reflection."""
        stops = (
            (255, 252, 246),
            colour,
            _mix(colour, (236, 200, 205), 0.5),
            _mix(colour, (120, 110, 120), 0.55),
        )
        self._dome(x, y, r, r, stops, 0.18)
        self.disc(x - r * 0.3, y - r * 0.42, r * 0.2, (255, 255, 255, 150))
        self.disc(x - r * 0.32, y - r * 0.44, r * 0.1, (255, 255, 255, 240))


# --- the pieces ------------------------------------------------------------------------------------


def _band(s: _Studio, rx: float, ry: float, thickness: float, depth: Point, y: float = 0.0) -> None:
    """A ring or bangle: a short tube seen at a slant. The outside of the tube between its
    front and back rims, the front rim, the inside seen through the opening, and the opening
    itself (cleared, so the backdrop shows through)."""
    front, back = s.at(-depth[0] / 2, y - depth[1] / 2), s.at(depth[0] / 2, y + depth[1] / 2)
    orx, ory = rx * s.u, ry * s.u
    irx, iry = orx - thickness * s.u, ory - thickness * s.u * ry / rx * 1.15
    tilt = math.degrees(math.atan2(depth[1], depth[0] or 1e-6))
    outside: Shape = [(_oval(*_lerp(back, front, k / 16), orx, ory, 0, 64), 255) for k in range(17)]
    s.paint_metal(outside, angle=tilt, bands=2.2, dim=0.9)
    s.paint_metal(
        [(_oval(*front, orx, ory, 0, 96), 255), (_oval(*front, irx, iry, 0, 96), 0)],
        angle=tilt + 70,
        bands=1.3,
    )
    inside, corner = s.paint_metal(
        [(_oval(*front, irx, iry, 0, 96), 255)], angle=tilt + 180, bands=1.1, dim=0.72
    )
    through = Image.new("L", inside.size)
    ImageDraw.Draw(through).polygon(
        [(px - corner[0], py - corner[1]) for px, py in s.turned(_oval(*back, irx, iry, 0, 96))], fill=255
    )
    opening = ImageChops.multiply(inside, through)
    s.layer.paste(Image.new("RGBA", inside.size), (round(corner[0]), round(corner[1])), opening)


def _draw_ring(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 5)
    tall, wide = 0.27, 0.21
    if not stones:
        s.focus(0.0, 0.0)
        _band(s, wide, tall, 0.045, (0.12, 0.0), y=0.02)
        return
    s.focus(0.0, -0.16)
    depth = 0.055
    _band(s, wide, tall, 0.026, (depth, 0.0), y=0.08)
    top_x, top_y = s.at(0.0, 0.08 - tall)
    r = s.u * (0.085 if len(stones) == 1 else 0.06)
    lift = r * 0.8
    if len(stones) == 1:
        # The head: a basket of claws rising from the band to hold the stone.
        for dx in (-1, 1):
            s.wire(
                [(top_x + dx * r * 0.3, top_y + r * 0.15), (top_x + dx * r * 0.92, top_y - lift * 0.95)],
                r * 0.13,
            )
        s.gem_side(stones[0], top_x, top_y - lift, r)
        return
    # Three stones or more: set along the top of the band, the middle one largest.
    positions = _stations(len(stones), -1.0, 1.0)
    for i in sorted(range(len(stones)), key=lambda i: -abs(positions[i])):
        a = -math.pi / 2 + positions[i] * 0.6
        gx, gy = top_x + math.cos(a) * wide * s.u, s.at(0, 0.08)[1] + math.sin(a) * tall * s.u - r * 0.4
        s.gem_side(stones[i], gx, gy, r * (1.0 if abs(positions[i]) < 0.1 else 0.72))


def _hanging(s: _Studio, drop: float, spread: float, steps: int = 60) -> list[Point]:
    """A chain hanging in a U from beyond the top of the frame (a catenary, near enough)."""
    sag = s.rng.uniform(0.92, 1.06)
    points = []
    for k in range(steps + 1):
        t = -1 + 2 * k / steps
        y = -0.62 + (drop + 0.62) * (1 - (math.cosh(1.6 * t) - 1) / (math.cosh(1.6) - 1)) * sag
        points.append(s.at(t * spread, y))
    return points


def _draw_necklace(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 9)
    s.focus(0.0, 0.3)
    path = _hanging(s, drop=0.32, spread=0.62)
    s.chain(path, link=s.u * 0.026, thickness=s.u * 0.0065)
    bottom = len(path) // 2
    if not stones:
        x, y = path[bottom]
        s.wire([(x - s.u * 0.15, y + s.u * 0.012), (x + s.u * 0.15, y + s.u * 0.012)], s.u * 0.03)
        return
    spread = min(len(stones) * 2 + 1, bottom - 4)
    pearls = _stone_look(stones[0])[1] == "pearl"
    r = s.u * (0.05 if pearls else 0.046)
    for offset in _stations(len(stones), -spread, spread):
        x, y = path[bottom + round(offset)]
        s.stone(stones[0], x, y + r * 0.6, r)


def _draw_pendant(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 3)
    s.focus(0.0, 0.2)
    path = _hanging(s, drop=0.02, spread=0.5)
    s.chain(path, link=s.u * 0.02, thickness=s.u * 0.0045)
    x, y = path[len(path) // 2]
    bail = s.u * 0.022
    s.wire(_oval(x, y + bail * 0.6, bail * 0.55, bail, 0, 24), s.u * 0.011, closed=True)
    top = y + bail * 1.5
    if stones and _stone_look(stones[0])[1] == "pearl":
        s.bead(x, top + s.u * 0.005, s.u * 0.014)
        s.stone(stones[0], x, top + s.u * 0.085, s.u * 0.075)
        return
    size = s.u * 0.16
    cy = top + size
    setting = size * 0.5
    shape = s.rng.choice(("disc", "drop", "hexagon"))
    if shape == "disc":
        outline = _oval(x, cy, size, size, 0, 72)
    elif shape == "hexagon":
        outline = _oval(x, cy, size, size, math.pi / 2, 6)
    else:  # a drop: pointed at the bail, round below, the stone in the round
        cy = top + size * 1.15
        outline = [
            (x + size * 0.78 * math.sin(t) * math.sin(t / 2) ** 1.2, cy - size * 1.15 * math.cos(t))
            for t in (2 * math.pi * k / 72 for k in range(72))
        ]
        cy += size * 0.38
        setting = size * 0.42
    s.paint_metal([(outline, 255)], angle=s.rng.uniform(20, 70), bands=1.4)
    s.line([*outline, outline[0]], s.metal.tone(0.25, 200), s.u * 0.004)
    if len(stones) == 1:
        s.stone(stones[0], x, cy, setting)
    for k, stone in enumerate(stones if len(stones) > 1 else ()):
        a = -math.pi / 2 + 2 * math.pi * k / len(stones)
        s.stone(stone, x + math.cos(a) * size * 0.45, cy + math.sin(a) * size * 0.45, size * 0.3)


def _draw_earrings(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 8)
    per_ear = stones[: max(1, len(stones) // 2)]
    style = s.rng.choice(("drop", "stud")) if stones else s.rng.choice(("drop", "hoop"))
    s.focus(0.0, -0.02)
    for side, scale, lift in ((-1, 1.0, 0.0), (1, 0.92, -0.03)):
        x, y = s.at(side * 0.21, lift - 0.1)
        u = s.u * scale
        if style == "stud":
            y += u * 0.08
            if len(per_ear) == 1:
                s.stone(per_ear[0], x, y, u * 0.09)
            for k, stone in enumerate(per_ear if len(per_ear) > 1 else ()):
                a = -math.pi / 2 + 2 * math.pi * k / len(per_ear)
                s.stone(stone, x + math.cos(a) * u * 0.075, y + math.sin(a) * u * 0.075, u * 0.055)
            continue
        hook = _arc(x + u * 0.035, y - u * 0.12, u * 0.05, u * 0.09, math.pi * 0.9, math.pi * 2.05, 24)
        s.wire([*hook, (x, y - u * 0.03)], u * 0.009)
        if style == "hoop":
            s.wire(_oval(x, y + u * 0.12, u * 0.1, u * 0.14, 0, 64), u * 0.02, closed=True)
            continue
        s.bead(x, y - u * 0.02, u * 0.015)
        if not stones:
            s.wire([(x, y), (x, y + u * 0.22)], u * 0.024)
            s.bead(x, y + u * 0.25, u * 0.035)
            continue
        for k, stone in enumerate(per_ear):
            r = u * (0.065 if k == 0 else 0.045)
            gy = y + u * 0.065 + k * u * 0.13
            s.wire([(x, gy - r - u * 0.04), (x, gy - r * 0.8)], u * 0.007)
            s.stone(stone, x, gy, r)


def _draw_bracelet(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 9)
    rx, ry = 0.38, 0.19
    s.focus(0.0, ry)
    path = _oval(s.cx, s.cy, rx * s.u, ry * s.u, 0, 120)
    s.chain([*path, path[0]], link=s.u * 0.038, thickness=s.u * 0.01)
    for a in _stations(len(stones), math.pi * 0.3, math.pi * 0.7) if stones else ():
        s.stone(
            stones[0], s.cx + math.cos(a) * rx * s.u, s.cy + math.sin(a) * ry * s.u, s.u * 0.038, squash=0.85
        )


def _draw_anklet(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 9)
    rx, ry = 0.44, 0.21
    wobble = s.rng.uniform(0.02, 0.05)
    s.focus(0.0, ry)

    def along(a: float) -> Point:
        return (s.cx + math.cos(a) * rx * s.u, s.cy + (math.sin(a) * ry + math.sin(3 * a) * wobble) * s.u)

    s.chain([along(2 * math.pi * k / 140) for k in range(141)], link=s.u * 0.022, thickness=s.u * 0.0055)
    for k, a in enumerate(_stations(max(len(stones), 5), math.pi * 0.15, math.pi * 0.85)):
        x, y = along(a)
        if stones and k % 2 == 0:
            s.wire([(x, y), (x, y + s.u * 0.02)], s.u * 0.005)
            s.stone(stones[min(k // 2, len(stones) - 1)], x, y + s.u * 0.045, s.u * 0.026)
        else:
            s.bead(x, y + s.u * 0.02, s.u * 0.016)


def _draw_bangle(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 7)
    rx, ry, thickness = 0.38, 0.21, 0.045
    s.focus(0.0, ry)
    _band(s, rx, ry, thickness, (0.0, 0.08))
    x, y = s.at(0, -0.04)
    for a in _stations(len(stones), math.pi * 0.3, math.pi * 0.7) if stones else ():
        gx, gy = (
            x + math.cos(a) * (rx - thickness / 2) * s.u,
            y + math.sin(a) * (ry - thickness / 2 * ry / rx) * s.u,
        )
        s.stone(stones[0], gx, gy, s.u * 0.032, squash=0.6)


def _draw_brooch(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 7)
    petals = s.rng.choice((5, 6, 8))
    length = 0.27
    turn = s.rng.uniform(0, math.pi)
    s.focus(0.0, 0.0)
    x, y = s.at(0, 0)
    s.wire([s.at(-0.4, 0.1), s.at(0.4, -0.06)], s.u * 0.011)  # the pin, behind the flower
    for k in range(petals):
        a = turn + 2 * math.pi * k / petals
        tip = (x + math.cos(a) * length * s.u, y + math.sin(a) * length * s.u)
        s.paint_metal([(_leaf((x, y), tip, 0.36), 255)], angle=math.degrees(a) + 90, bands=1.2)
        s.wire([_lerp((x, y), tip, 0.2), _lerp((x, y), tip, 0.85)], s.u * 0.006)
    centre = s.u * 0.09
    if not stones:
        for k in range(12):
            a = 2 * math.pi * k / 12
            s.bead(x + math.cos(a) * centre * 0.6, y + math.sin(a) * centre * 0.6, centre * 0.2)
        s.bead(x, y, centre * 0.45)
        return
    s.stone(stones[0], x, y, centre)
    for k, stone in enumerate(stones[1:]):
        a = turn + math.pi / petals + 2 * math.pi * k / (len(stones) - 1)
        s.stone(
            stone, x + math.cos(a) * length * 0.62 * s.u, y + math.sin(a) * length * 0.62 * s.u, s.u * 0.038
        )


def _draw_cufflinks(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 2)
    square = s.rng.random() < 0.4
    r = s.u * 0.14
    s.focus(-0.21, 0.0)
    # The left one face on.
    x, y = s.at(-0.21, -0.02)
    outline = (
        [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
        if square
        else _oval(x, y, r, r, 0, 72)
    )
    s.paint_metal([(outline, 255)], angle=40, bands=1.3)
    s.line([*outline, outline[0]], s.metal.tone(0.2), s.u * 0.006)
    if stones:
        s.stone(stones[0], x, y, r * 0.58)
    else:
        s.wire(_oval(x, y, r * 0.62, r * 0.62, 0, 64), s.u * 0.01, closed=True)
    # The right one turned over: its face on edge, the post, and the swivel bar below.
    x, y = s.at(0.21, -0.08)
    s.wire([(x, y), (x, y + s.u * 0.17)], s.u * 0.028)
    s.wire([(x - s.u * 0.085, y + s.u * 0.18), (x + s.u * 0.085, y + s.u * 0.18)], s.u * 0.036)
    s.paint_metal([(_oval(x, y, r, r * 0.38, 0, 72), 255)], angle=80, bands=1.6)
    if stones:
        s.stone(stones[-1], x, y, r * 0.58, squash=0.38)


def _draw_charm(s: _Studio, piece: Piece) -> None:
    stones = _shown_stones(piece, 3)
    size = s.u * 0.21
    s.focus(0.0, 0.05)
    x, top = s.at(0, -0.3)
    ring = s.u * 0.036
    cy = top + ring + size * 1.05
    shape = s.rng.choice(("heart", "star", "disc"))
    if shape == "heart":
        outline = [
            (
                x + size * 0.062 * 16 * math.sin(t) ** 3,
                cy
                - size
                * 0.062
                * (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)),
            )
            for t in (2 * math.pi * k / 96 for k in range(96))
        ]
    elif shape == "star":
        outline = [
            (
                x + math.cos(-math.pi / 2 + math.pi * k / 5) * size * (1.0 if k % 2 == 0 else 0.48),
                cy + math.sin(-math.pi / 2 + math.pi * k / 5) * size * (1.0 if k % 2 == 0 else 0.48),
            )
            for k in range(10)
        ]
    else:
        outline = _oval(x, cy, size * 0.9, size * 0.9, 0, 72)
    s.wire(_oval(x, top, ring, ring, 0, 32), s.u * 0.012, closed=True)
    s.wire([(x, top + ring), (x, min(py for _, py in outline) + s.u * 0.02)], s.u * 0.012)
    s.paint_metal([(outline, 255)], angle=s.rng.uniform(30, 60), bands=1.5)
    s.line([*outline, outline[0]], s.metal.tone(0.22, 220), s.u * 0.005)
    for k, stone in enumerate(stones):
        offset = (k - (len(stones) - 1) / 2) * size * 0.45
        s.stone(stone, x + offset, cy, size * (0.28 if len(stones) == 1 else 0.18))


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
