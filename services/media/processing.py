"""Decoding photos with Pillow (and pillow-heif for HEIC): the CPU work, as plain synchronous
functions of a file or its bytes, with no I/O of their own beyond reading it. The API calls
`read_header` on an upload; the worker calls `make_renditions`, both in a thread so the event
loop stays free. The benchmarks and seeds call them directly.

Renditions are made from pixels only: the image is turned upright (EXIF orientation),
converted to sRGB with its embedded ICC profile when it has one, and every metadata block
(EXIF with its GPS position, XMP, IPTC, ICC) is left behind; WebP files are written without
any. Transparency is kept (WebP has an alpha channel), so a PNG cut-out stays a cut-out.
Encoding is deterministic, so the same original always gives the same bytes and the same
content-addressed keys: a worker killed mid-way and run again writes exactly the same files.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pillow_heif
from PIL import Image, ImageCms, ImageFilter, ImageOps, UnidentifiedImageError

from services.media.domain import (
    IMAGE_TOO_LARGE,
    PLACEHOLDER_WIDTH,
    ImageFormat,
    ImageLimits,
    check_dimensions,
    image_corrupt,
    rendition_sizes,
    scaled_height,
)
from shared.contracts.media import RENDITION_WIDTHS
from shared.errors import RulesViolated

pillow_heif.register_heif_opener()

WEBP_QUALITY = 82
PLACEHOLDER_QUALITY = 40
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# EXIF orientations that turn the image a quarter: its width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG = 0x0112
# What Pillow raises on a damaged or unreadable file (a DecompressionBombError is handled first).
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)

Source = Path | bytes


def limit_pixels(max_pixels: int) -> None:
    """Make Pillow itself refuse an image over the limit (its own decompression-bomb check), in
    case a path ever decodes one without checking the header first."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def _open(source: Source, image_format: ImageFormat | None = None) -> Image.Image:
    stream: Path | IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    formats = [image_format.pillow_name] if image_format else [f.pillow_name for f in ImageFormat]
    # Over twice MAX_IMAGE_PIXELS Pillow raises DecompressionBombError here; between once and
    # twice it only warns, and check_dimensions refuses the image right after.
    return Image.open(stream, formats=formats)


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    if image.getexif().get(_ORIENTATION_TAG) in _QUARTER_TURNS:
        return height, width
    return width, height


@dataclass(frozen=True)
class Header:
    width: int
    height: int


def read_header(source: Source, image_format: ImageFormat, limits: ImageLimits) -> Header:
    """The image's size after orientation, read from its header alone (nothing is decoded), and
    checked against the limits: 422 image_too_large / image_too_small / image_corrupt."""
    try:
        with _open(source, image_format) as image:
            width, height = _oriented_size(image)
    except Image.DecompressionBombError:
        raise _too_large() from None
    except _DECODE_ERRORS:
        raise image_corrupt() from None
    check_dimensions(width, height, limits)
    return Header(width, height)


def _too_large() -> RulesViolated:
    return RulesViolated("The photo has too many pixels", code=IMAGE_TOO_LARGE)


@dataclass(frozen=True)
class Rendition:
    width: int
    """The nominal width (a key of RENDITION_WIDTHS); the pixels may be fewer, never more."""
    pixel_width: int
    pixel_height: int
    data: bytes

    @property
    def key(self) -> str:
        """Content address: the sha256 of the WebP bytes."""
        return hashlib.sha256(self.data).hexdigest() + ".webp"


@dataclass(frozen=True)
class Processed:
    renditions: list[Rendition]
    placeholder: str
    """A `data:image/webp;base64,` URL of a tiny blurred copy."""

    @property
    def largest(self) -> Rendition:
        return max(self.renditions, key=lambda r: r.width)


def make_renditions(source: Source, limits: ImageLimits) -> Processed:
    """Every rendition and the placeholder of one original (CPU-bound: run it in a thread).
    422 image_corrupt when it cannot be decoded, image_too_large / image_too_small when it breaks
    the limits."""
    try:
        with _open(source) as image:
            width, height = _oriented_size(image)
            check_dimensions(width, height, limits)
            _decode_only_what_is_needed(image, width)
            ImageOps.exif_transpose(image, in_place=True)
            pixels = _srgb_pixels(image)
            return Processed(_renditions(pixels), _placeholder(pixels))
    except Image.DecompressionBombError:
        raise _too_large() from None
    except _DECODE_ERRORS:
        raise image_corrupt() from None


def _decode_only_what_is_needed(image: Image.Image, oriented_width: int) -> None:
    """A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for a fraction of the work: ask for the
    smallest scale still at least as large as the largest rendition."""
    if image.format != "JPEG":
        return
    scale = min(1.0, max(RENDITION_WIDTHS) / oriented_width)
    image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))


def _srgb_pixels(image: Image.Image) -> Image.Image:
    """The pixels in sRGB (RGBA when the image has transparency), with no metadata at all: no
    copy of them is made unless a conversion needs one (a 50-megapixel photo is 150 MB)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    icc = image.info.get("icc_profile")
    converted = None
    if icc:
        source = image if image.mode in ("RGB", "RGBA", "CMYK", "L") else image.convert(mode)
        try:
            converted = ImageCms.profileToProfile(
                source, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode=mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # an unusable profile: take the values as sRGB, as browsers do
    if converted is None:
        converted = image if image.mode == mode else image.convert(mode)
    # Pixels only: EXIF (and its GPS position), XMP, IPTC and the ICC profile stay behind. Every
    # rendition is derived from this image, and WebP is written with no metadata given.
    converted.info = {}
    return converted


def _encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _renditions(pixels: Image.Image) -> list[Rendition]:
    """Largest first, each scaled from the one before it (quicker than from the original, and
    as sharp at these ratios); one encoding per distinct size."""
    sizes = rendition_sizes(*pixels.size)
    made: dict[tuple[int, int], Rendition] = {}
    renditions = []
    current = pixels
    for nominal in sorted(sizes, reverse=True):
        size = sizes[nominal]
        if size not in made:
            if current.size != size:
                current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            made[size] = Rendition(nominal, size[0], size[1], _encode(current, WEBP_QUALITY))
        rendition = made[size]
        renditions.append(Rendition(nominal, rendition.pixel_width, rendition.pixel_height, rendition.data))
    return sorted(renditions, key=lambda r: r.width)


def _placeholder(pixels: Image.Image) -> str:
    width = min(PLACEHOLDER_WIDTH, pixels.width)
    tiny = pixels.resize((width, scaled_height(*pixels.size, width)), Image.Resampling.BOX, reducing_gap=2.0)
    blurred = tiny.filter(ImageFilter.GaussianBlur(1))
    return "data:image/webp;base64," + base64.b64encode(_encode(blurred, PLACEHOLDER_QUALITY)).decode()
