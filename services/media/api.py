"""The media HTTP API: thin handlers (parse, authorise, call one use case, render).

Who may do what:
    approved makers   upload photos (POST /api/v1/images) for their listings
    customers         upload photos for their reviews (the image is the customer's, no maker's)
    owners            see their image's state, renditions and placeholder (the owning maker, or
                      the customer who uploaded it); operators any image
    anyone            a rendition's bytes (GET /media/{key}), cached for a year

The maker behind a token is found in media's read model of makers (the token's `sub` is the
maker's user id). Another maker's image is reported as missing (404), never forbidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from services.media import usecases
from services.media.domain import UploadScan
from services.media.schemas import ImageAccepted, ImageView, image_view
from services.media.settings import MEDIA_SETTINGS
from services.media.storage import RENDITION_KEY, STORAGE, rendition_etag, rendition_headers
from shared.errors import ProblemError, Violation, not_found
from shared.http import POOL, Call, Routes

routes = Routes("photos")

UPLOAD_FIELD = "file"
_CHUNK_BYTES = 256 * 1024
# Room for the multipart framing around the file when a declared length is judged up front.
_MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "Payload too large",
        f"A photo may be at most {limit // (1024 * 1024)} MB",
        code="payload_too_large",
    )


@routes.post(
    "/api/v1/images",
    response=ImageAccepted,
    status=202,
    roles=("maker", "customer"),
    upload=UPLOAD_FIELD,
    extra_responses={
        403: "maker_not_approved: the maker is not approved (or is suspended)",
        413: "payload_too_large: the file is over MEDIA_MAX_UPLOAD_BYTES (20 MB)",
        415: "unsupported_media_type: the bytes are not a JPEG, PNG, WebP or HEIC photo (or carry a "
        "web page, script, SVG or PDF as well); multipart_required: the body is not "
        "multipart/form-data",
        422: "file_required; image_corrupt (cut short or undecodable); image_too_large (over 50 "
        "megapixels); image_too_small (short side under 800 px)",
    },
)
async def upload_image(call: Call) -> ImageAccepted:
    """Upload a photo (multipart/form-data, field `file`) as an approved maker (for listings) or
    a customer (for reviews); 202 while the media worker makes its renditions. Its type is
    decided from its bytes alone."""
    settings = call.app[MEDIA_SETTINGS]
    pool = call.app[POOL]
    user_id, role = call.user.user_id, call.user.role
    await usecases.uploader(pool, user_id, role)  # refused before a byte of the body is read
    path, scan = await _receive(call.request, settings.max_upload_bytes)
    try:
        image = await usecases.accept_upload(
            pool, call.app[STORAGE], user_id, path, scan, settings.limits, datetime.now(UTC), role=role
        )
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
    return ImageAccepted(id=image.id, status=image.status.value)


async def _receive(request: web.Request, limit: int) -> tuple[Path, UploadScan]:
    """Stream the `file` part to a temporary file, scanning it on the way; never more than
    `limit` bytes (413), never the whole body in memory."""
    declared = request.content_length
    if declared is not None and declared > limit + _MULTIPART_OVERHEAD_BYTES:
        raise _too_large(limit)
    if request.content_type != "multipart/form-data":
        raise ProblemError(
            415,
            "Unsupported media type",
            "Send the photo as multipart/form-data, in the field `file`",
            code="multipart_required",
        )
    other_fields = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise ValueError("nested multipart")
            if part.name == UPLOAD_FIELD:
                return await _stream_to_file(part, limit)
            # Another field is read and dropped, within the same limit.
            while chunk := await part.read_chunk(_CHUNK_BYTES):
                other_fields += len(chunk)
                if other_fields > limit:
                    raise _too_large(limit)
    except (ValueError, HttpProcessingError):  # aiohttp says so of a part's bad header
        raise ProblemError(
            400, "Bad request", "The multipart body is malformed", code="malformed_multipart"
        ) from None
    raise ProblemError(
        422,
        "Validation failed",
        "A photo is required in the field `file`",
        code="file_required",
        errors=[Violation(("body", UPLOAD_FIELD), "A photo is required", "file_required")],
    )


async def _stream_to_file(part: BodyPartReader, limit: int) -> tuple[Path, UploadScan]:
    scan = UploadScan()
    descriptor, name = tempfile.mkstemp(prefix="media-upload-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := await part.read_chunk(_CHUNK_BYTES):
                scan.feed(chunk)
                if scan.size > limit:
                    raise _too_large(limit)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    return path, scan


@routes.get("/api/v1/images/{id}", response=ImageView, roles=("maker", "customer", "operator"))
async def get_image(call: Call) -> ImageView:
    """An image's state, size, placeholder and rendition URLs (its owner, or an operator)."""
    image, renditions = await usecases.image_for(call.app[POOL], call.user, call.path_id())
    return image_view(image, renditions)


@routes.get(
    "/media/{key}",
    auth="none",
    produces="image/webp",
    extra_responses={304: "Not modified (If-None-Match names this rendition)"},
)
async def media_file(call: Call) -> web.StreamResponse:
    """A rendition's bytes (image/webp), immutable and cached for a year."""
    request = call.request
    key = request.match_info["key"]
    if not RENDITION_KEY.match(key):
        raise not_found("Rendition")
    if (etags := request.if_none_match) is not None:
        etag = rendition_etag(key).strip('"')
        if any(candidate.value in (etag, "*") for candidate in etags):
            headers = rendition_headers(key)
            del headers["Content-Type"]  # a 304 has no body to type
            return web.Response(status=304, headers=headers)
    response = await call.app[STORAGE].serve(request, key)
    if response is None:
        raise not_found("Rendition")
    return response
