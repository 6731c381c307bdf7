"""The studio: a transparent layer to draw the piece on, and the brushes for metal and stones."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw

from services.media.demo_photos.colours import (
    _Cut,
    _gradient_lut,
    _Metal,
    _mix,
    _reflection_lut,
    _scaled,
    _stone_look,
)
from services.media.demo_photos.geometry import _lerp, _oval, _walk
from services.media.demo_photos.model import RGB, Point, Shape, Stone


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
