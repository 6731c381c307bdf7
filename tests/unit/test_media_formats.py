"""What an upload is, from its bytes: sniffing, documents hidden in images (across chunk
boundaries too), files cut short, and the limits on an image's size."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from services.media.domain import (
    ImageFormat,
    ImageLimits,
    UploadScan,
    check_dimensions,
    classify,
    rendition_sizes,
    sniff,
)
from shared.errors import RulesViolated, UnsupportedContent


def _encode(image_format: str, size: tuple[int, int] = (64, 48), **params: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, image_format, **params)
    return out.getvalue()


def _scan(data: bytes, chunk: int = 7) -> UploadScan:
    scan = UploadScan()
    for start in range(0, len(data), chunk):
        scan.feed(data[start : start + chunk])
    return scan


def _heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _encode("HEIF")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_encode("JPEG"), ImageFormat.JPEG),
        (_encode("PNG"), ImageFormat.PNG),
        (_encode("WEBP"), ImageFormat.WEBP),
        (_encode("WEBP", lossless=True), ImageFormat.WEBP),
        (_heic(), ImageFormat.HEIF),
        (_encode("GIF"), None),
        (_encode("BMP"), None),
        (_encode("TIFF"), None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"%PDF-1.7", None),
        (b"", None),
        # An AVIF announces the generic brand with no HEVC brand beside it.
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", ImageFormat.HEIF),
    ],
)
def test_the_format_is_read_from_the_magic_numbers(data: bytes, expected: ImageFormat | None) -> None:
    assert sniff(data[:64]) is expected


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_whole_image_is_classified(image_format: str) -> None:
    data = _encode(image_format)
    scan = _scan(data)
    assert classify(scan).value == image_format.lower()
    assert scan.size == len(data)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "marker", [b"<html>", b"<HTML lang=en>", b"<script>", b"<svg xmlns", b"<svg/>", b"%PDF-1.4"]
)
@pytest.mark.parametrize("chunk", [3, 5, 4096])
def test_an_image_carrying_a_document_is_refused_wherever_the_chunks_split_it(
    marker: bytes, chunk: int
) -> None:
    data = _encode("JPEG", comment=b"nice ring " + marker + b" end")
    with pytest.raises(UnsupportedContent) as refused:
        classify(_scan(data, chunk))
    assert refused.value.code == "unsupported_media_type"


def test_tag_like_bytes_that_are_no_tag_are_not_a_document() -> None:
    data = _encode("JPEG", comment=b"<svgx <htmlish <scriptless")
    assert classify(_scan(data)) is ImageFormat.JPEG


@pytest.mark.parametrize(
    "data",
    [
        _encode("JPEG", (300, 300))[:-2],
        _encode("PNG", (300, 300))[:-12],
        _encode("WEBP", (300, 300))[:-10],
        _encode("WEBP", (300, 300)) + b"\x00\x00",
    ],
)
def test_an_image_cut_short_is_corrupt(data: bytes) -> None:
    with pytest.raises(RulesViolated) as refused:
        classify(_scan(data))
    assert refused.value.code == "image_corrupt"


def test_something_that_is_not_an_image_is_unsupported() -> None:
    with pytest.raises(UnsupportedContent):
        classify(_scan(b"GIF89a" + bytes(100)))


LIMITS = ImageLimits(max_pixels=50_000_000, min_short_side=800)


@pytest.mark.parametrize(
    ("size", "code"),
    [
        ((8000, 7000), "image_too_large"),
        ((50_000_001, 1), "image_too_large"),
        ((1200, 799), "image_too_small"),
        ((799, 5000), "image_too_small"),
        ((0, 900), "image_corrupt"),
    ],
)
def test_limits_on_the_size(size: tuple[int, int], code: str) -> None:
    with pytest.raises(RulesViolated) as refused:
        check_dimensions(*size, LIMITS)
    assert refused.value.code == code


@pytest.mark.parametrize("size", [(800, 800), (7071, 7071), (10_000, 5000)])
def test_sizes_within_the_limits_pass(size: tuple[int, int]) -> None:
    check_dimensions(*size, LIMITS)


def test_renditions_are_scaled_down_never_up() -> None:
    assert rendition_sizes(4000, 3000) == {
        160: (160, 120),
        480: (480, 360),
        960: (960, 720),
        1600: (1600, 1200),
    }
    assert rendition_sizes(900, 1200) == {
        160: (160, 213),
        480: (480, 640),
        960: (900, 1200),
        1600: (900, 1200),
    }
