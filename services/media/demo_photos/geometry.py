"""Outlines and paths in the piece's own units: ovals, arcs, leaves, points along a path."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from services.media.demo_photos.model import Piece, Point, Stone


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
