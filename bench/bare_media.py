"""The baselines of the media benchmark: the same Pillow work, and the same files served, with
nothing else around them (no broker, no database, no storage port, no middleware).

    python -m bench.bare_media process SLOTS FILE...
        Each file: read, decoded (a JPEG at the smallest scale still as large as the largest
        rendition, as media does), turned upright, converted to sRGB through its ICC profile
        when it has one, scaled to every rendition width (each from the one before it) and
        encoded as WebP, and the tiny blurred placeholder made, with the media service's own
        widths and qualities; SLOTS files at once in threads of this one process (as a media
        worker's MEDIA_PROCESSING_SLOTS). Prints {"seconds": ..., "photos": N}: the time from
        the first file's start to the last one's end.

    BARE_PORT=8098 python -m bench.bare_media serve ROOT
        GET /media/{key}: aiohttp's FileResponse of ROOT/<key[:2]>/<key>, the layout of media's
        directory storage; GET /health/ready for the harness.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web
from PIL import Image, ImageCms, ImageFilter, ImageOps

from services.media.domain import PLACEHOLDER_WIDTH
from services.media.processing import PLACEHOLDER_QUALITY, WEBP_QUALITY
from shared.contracts.media import RENDITION_WIDTHS

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _webp(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def process(path: str) -> int:
    """Every rendition and the placeholder of one photo; how many bytes they came to."""
    data = Path(path).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "JPEG":
            turned = image.getexif().get(0x0112) in (5, 6, 7, 8)
            upright_width = image.height if turned else image.width
            scale = min(1.0, max(RENDITION_WIDTHS) / upright_width)
            image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        upright = ImageOps.exif_transpose(image)
        icc = upright.info.get("icc_profile")
        if icc:
            converted = ImageCms.profileToProfile(
                upright, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode="RGB"
            )
            assert converted is not None  # None only when converting in place
            pixels = converted
        else:
            pixels = upright.convert("RGB")
    total = 0
    current = pixels
    for width in sorted(RENDITION_WIDTHS, reverse=True):
        if width < current.width:
            size = (width, max(1, round(pixels.height * width / pixels.width)))
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        rendition = _webp(current, WEBP_QUALITY)
        hashlib.sha256(rendition).hexdigest()
        total += len(rendition)
    width = min(PLACEHOLDER_WIDTH, pixels.width)
    tiny = pixels.resize(
        (width, max(1, round(pixels.height * width / pixels.width))), Image.Resampling.BOX, reducing_gap=2.0
    )
    total += len(_webp(tiny.filter(ImageFilter.GaussianBlur(1)), PLACEHOLDER_QUALITY))
    return total


def process_all(slots: int, paths: list[str]) -> dict[str, float]:
    with ThreadPoolExecutor(slots) as pool:
        started = time.perf_counter()
        list(pool.map(process, paths))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "photos": len(paths)}


def serve(root: Path) -> None:
    async def rendition(request: web.Request) -> web.FileResponse:
        key = request.match_info["key"]
        return web.FileResponse(root / key[:2] / key)

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/media/{key}", rendition)
    app.router.add_get("/health/ready", ready)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), access_log=None, print=None)


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "process":
        slots, *paths = args
        print(json.dumps(process_all(int(slots), paths)))
    elif command == "serve":
        serve(Path(args[0]))
    else:
        raise SystemExit(f"unknown command {command!r}: process or serve")


if __name__ == "__main__":
    main(sys.argv[1:])
