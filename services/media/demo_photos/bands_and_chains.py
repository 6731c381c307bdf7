"""Drawings of the pieces built from a band or a chain: rings, bangles, necklaces, pendants,
bracelets and anklets."""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageDraw

from services.media.demo_photos.colours import _stone_look
from services.media.demo_photos.geometry import _lerp, _oval, _shown_stones, _stations
from services.media.demo_photos.model import Piece, Point, Shape
from services.media.demo_photos.studio import _Studio


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
