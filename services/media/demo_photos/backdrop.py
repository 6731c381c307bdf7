"""The paper backdrop, the piece's shadow on it, and the supersampled layer brought to size."""

from __future__ import annotations

import colorsys
import random

from PIL import Image, ImageChops, ImageFilter

from services.media.demo_photos.colours import _BACKDROP_SCALE, _BACKDROPS, _SUPERSAMPLE, _scaled
from services.media.demo_photos.model import RGB, View


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
