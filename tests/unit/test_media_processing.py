"""Making renditions with Pillow: upright, sRGB, pixels only (no EXIF, GPS, XMP or ICC), never
enlarged, transparency kept, a tiny placeholder, and the same bytes every time (so the same
content-addressed keys)."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageCms

from services.media.domain import ImageFormat, ImageLimits
from services.media.processing import limit_pixels, make_renditions, read_header
from shared.errors import RulesViolated

LIMITS = ImageLimits(max_pixels=50_000_000, min_short_side=800)


def _photo(
    size: tuple[int, int] = (1200, 900), mode: str = "RGB", image_format: str = "JPEG", **params: object
) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    out = io.BytesIO()
    image.save(out, image_format, **params)
    return out.getvalue()


def _noise_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((1200, 900), 40).convert("RGB").save(out, "PNG")
    return out.getvalue()


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0)}
    return exif.tobytes()


def test_the_header_gives_the_upright_size_without_decoding() -> None:
    assert read_header(_photo(exif=_exif(6)), ImageFormat.JPEG, LIMITS).__dict__ == {
        "width": 900,
        "height": 1200,
    }
    assert read_header(_photo(exif=_exif(1)), ImageFormat.JPEG, LIMITS).__dict__ == {
        "width": 1200,
        "height": 900,
    }


def test_renditions_are_upright_and_carry_pixels_only() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    processed = make_renditions(_photo(exif=_exif(6), icc_profile=icc, xmp=b"<x:xmpmeta/>"), LIMITS)
    assert [(r.width, r.pixel_width, r.pixel_height) for r in processed.renditions] == [
        (160, 160, 213),
        (480, 480, 640),
        (960, 900, 1200),
        (1600, 900, 1200),
    ]
    for rendition in processed.renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "WEBP" and image.size == (rendition.pixel_width, rendition.pixel_height)
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp"} & set(image.info)
        assert rendition.data[12:16] in (b"VP8 ", b"VP8L"), "a simple WebP: no room for metadata chunks"
        assert rendition.key.endswith(".webp") and len(rendition.key) == 64 + 5


def test_transparency_is_kept() -> None:
    cut_out = Image.new("RGBA", (1000, 800), (180, 140, 60, 255))
    cut_out.putalpha(Image.linear_gradient("L").resize((1000, 800)))
    out = io.BytesIO()
    cut_out.save(out, "PNG")
    rendition = Image.open(io.BytesIO(make_renditions(out.getvalue(), LIMITS).largest.data))
    assert rendition.mode == "RGBA"
    assert rendition.getpixel((500, 0))[3] < 10, "still see-through at the top"  # type: ignore[index]


def test_a_cmyk_photo_with_its_profile_comes_out_rgb() -> None:
    processed = make_renditions(_photo((1000, 800), "CMYK", "JPEG"), LIMITS)
    assert Image.open(io.BytesIO(processed.largest.data)).mode == "RGB"


def test_the_placeholder_is_a_tiny_webp_data_url() -> None:
    placeholder = make_renditions(_photo(), LIMITS).placeholder
    prefix = "data:image/webp;base64,"
    assert placeholder.startswith(prefix)
    tiny = Image.open(io.BytesIO(base64.b64decode(placeholder.removeprefix(prefix))))
    assert tiny.format == "WEBP" and 16 <= tiny.width <= 24
    assert len(placeholder) < 1000


def test_the_same_original_gives_the_same_bytes() -> None:
    data = _photo((2000, 1500), quality=90)
    first, second = make_renditions(data, LIMITS), make_renditions(data, LIMITS)
    assert [r.key for r in first.renditions] == [r.key for r in second.renditions]
    assert first.placeholder == second.placeholder


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(500) + b"\xff\xd9", "image_corrupt"),
        # A PNG cut in the middle of its pixel data, with an IEND stuck on so it looks whole.
        (_noise_png()[:20_000] + b"\x00\x00\x00\x00IEND\xaeB`\x82", "image_corrupt"),
        (_photo((1000, 700)), "image_too_small"),
    ],
)
def test_what_cannot_be_made_is_refused_with_its_code(data: bytes, code: str) -> None:
    with pytest.raises(RulesViolated) as refused:
        make_renditions(data, LIMITS)
    assert refused.value.code == code


def test_pillow_itself_refuses_a_bomb_over_the_limit() -> None:
    """Pillow's own guard, set to the same limit: a header of 120 megapixels is refused as
    soon as it is opened, before any check of ours (and before any decoding)."""
    previous = Image.MAX_IMAGE_PIXELS
    limit_pixels(50_000_000)
    try:
        out = io.BytesIO()
        Image.new("1", (12_000, 10_000)).save(out, "PNG")
        with pytest.raises(Image.DecompressionBombError):
            Image.open(io.BytesIO(out.getvalue()))
        with pytest.raises(RulesViolated) as refused:
            read_header(out.getvalue(), ImageFormat.PNG, LIMITS)
        assert refused.value.code == "image_too_large"
    finally:
        Image.MAX_IMAGE_PIXELS = previous
