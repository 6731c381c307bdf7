"""Drawings of the small pieces: earrings, brooches, cufflinks and charms."""

from __future__ import annotations

import math

from services.media.demo_photos.geometry import _arc, _leaf, _lerp, _oval, _shown_stones
from services.media.demo_photos.model import Piece
from services.media.demo_photos.studio import _Studio


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
