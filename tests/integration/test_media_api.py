"""Photos through the media service's HTTP API, as a real process (api, worker and relay in one)
against PostgreSQL, RabbitMQ and a storage directory: every accepted format becomes ready with
its renditions, every refusal carries its code and leaves nothing behind (no row, no stored
object, no temporary file), renditions carry no metadata, stand upright and are never enlarged,
and only the owner (or an operator) sees an image."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from PIL import Image

from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.media import (
    SRGB_ICC,
    approve,
    chunks,
    download,
    encode,
    gps_exif,
    heic,
    jpeg,
    new_maker,
    picture,
    png,
    processed,
    stored_files,
    upload,
    webp,
)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    (root / "tmp").mkdir()
    return {"storage": root / "storage", "tmp": root / "tmp"}


@pytest.fixture(scope="module")
def media(
    services_db: dict, service_processes: Callable[..., ServiceProcess], dirs: dict[str, Path]
) -> ServiceProcess:
    return service_processes("media", MEDIA_STORAGE_DIR=str(dirs["storage"]), TMPDIR=str(dirs["tmp"]))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def maker(
    media: ServiceProcess, test_env: Environment, db: asyncpg.Connection, mint: Callable[..., str]
) -> dict[str, Any]:
    """An approved maker media knows of, with a token."""
    maker = new_maker()
    await approve(test_env.namespace, db, maker)
    return {"maker": maker, "token": mint("maker", maker.user_id)}


async def _row_count(db: asyncpg.Connection) -> int:
    return await db.fetchval("SELECT count(*) FROM media.images")


async def _before(db: asyncpg.Connection, storage: Path) -> tuple[int, set[str]]:
    """The rows and stored objects before a refusal, once every earlier upload is processed (so
    none of its renditions can turn up meanwhile)."""

    async def nothing_processing() -> bool:
        return not await db.fetchval("SELECT count(*) FROM media.images WHERE status = 'processing'")

    await eventually(nothing_processing, timeout_s=60, message="earlier uploads processed")
    return await _row_count(db), stored_files(storage)


# --- accepted formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "declared"),
    [
        ("jpeg", lambda: jpeg(1200, 900), ("photo.jpg", "image/jpeg")),
        ("png with alpha", lambda: png(1000, 800), ("cut-out.png", "image/png")),
        ("webp", lambda: webp(1000, 800), ("photo.webp", "image/webp")),
        ("heic", lambda: heic(1000, 800), ("IMG_0001.HEIC", "image/heic")),
        # The bytes decide: a JPEG called a PNG is a JPEG.
        ("jpeg named png", lambda: jpeg(900, 1200), ("photo.png", "application/octet-stream")),
    ],
)
async def test_every_accepted_format_becomes_ready_with_its_renditions(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    db: asyncpg.Connection,
    dirs: dict[str, Path],
    name: str,
    make: Callable[[], bytes],
    declared: tuple[str, str],
) -> None:
    data = make()
    status, body = await upload(session, media.url, maker["token"], data, *declared)
    assert status == 202, body
    assert body["status"] == "processing"
    ready = await processed(session, media.url, maker["token"], body["id"])
    assert ready["status"] == "ready", ready
    assert ready["failure_code"] is None
    assert ready["placeholder"].startswith("data:image/webp;base64,")
    assert set(ready["urls"]) == {"160", "480", "960", "1600"}
    for width, url in ready["urls"].items():
        rendition = Image.open(io.BytesIO(await download(session, media.url, url)))
        assert rendition.format == "WEBP"
        assert rendition.width == min(int(width), ready["width"])
    assert (
        await db.fetchval("SELECT count(*) FROM media.renditions WHERE image_id = $1", uuid.UUID(body["id"]))
        == 4
    )


async def test_the_same_bytes_uploaded_twice_are_one_image(
    media: ServiceProcess, session: aiohttp.ClientSession, maker: dict[str, Any], db: asyncpg.Connection
) -> None:
    data = jpeg(1000, 1000)
    first_status, first = await upload(session, media.url, maker["token"], data)
    again_status, again = await upload(session, media.url, maker["token"], data, "copy.jpg")
    assert (first_status, again_status) == (202, 202)
    assert again["id"] == first["id"]
    assert (
        await db.fetchval("SELECT count(*) FROM media.images WHERE maker_id = $1", maker["maker"].maker_id)
        == 1
    )


# --- refusals -------------------------------------------------------------------------------------

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"></svg>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _truncated_webp() -> bytes:
    data = webp(1000, 800)
    return data[: len(data) - 200]


def _undecodable_jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"


REFUSALS: list[tuple[str, Callable[[], bytes], tuple[str, str], int, str]] = [
    ("svg", lambda: SVG, ("photo.jpg", "image/jpeg"), 415, "unsupported_media_type"),
    (
        "gif",
        lambda: encode(picture(900, 900).convert("P"), "GIF"),
        ("photo.jpg", "image/jpeg"),
        415,
        "unsupported_media_type",
    ),
    ("pdf", lambda: PDF, ("photo.jpg", "image/jpeg"), 415, "unsupported_media_type"),
    ("html", lambda: HTML, ("photo.png", "image/png"), 415, "unsupported_media_type"),
    ("text", lambda: b"just some words\n" * 100, ("photo.jpg", "image/jpeg"), 415, "unsupported_media_type"),
    (
        "jpeg carrying a script",
        lambda: jpeg(1000, 1000, comment=b"<script>alert(1)</script>"),
        ("photo.jpg", "image/jpeg"),
        415,
        "unsupported_media_type",
    ),
    (
        "png with html after it",
        lambda: png(1000, 1000, "RGB") + b"<html><body>hi</body></html>",
        ("photo.png", "image/png"),
        415,
        "unsupported_media_type",
    ),
    (
        "jpeg carrying a pdf",
        lambda: jpeg(1000, 1000) + b"%PDF-1.4 trailing",
        ("photo.jpg", "image/jpeg"),
        415,
        "unsupported_media_type",
    ),
    ("jpeg cut short", lambda: jpeg(1200, 1000)[:-500], ("photo.jpg", "image/jpeg"), 422, "image_corrupt"),
    ("png cut short", lambda: png(1000, 1000, "RGB")[:-30], ("photo.png", "image/png"), 422, "image_corrupt"),
    ("webp cut short", _truncated_webp, ("photo.webp", "image/webp"), 422, "image_corrupt"),
    ("jpeg with an undecodable header", _undecodable_jpeg, ("photo.jpg", "image/jpeg"), 422, "image_corrupt"),
    # 8000 × 7000 = 56 megapixels in a PNG of a few kilobytes: refused from its header.
    (
        "decompression bomb",
        lambda: encode(Image.new("L", (8000, 7000)), "PNG"),
        ("bomb.png", "image/png"),
        422,
        "image_too_large",
    ),
    ("too small", lambda: jpeg(1200, 700), ("photo.jpg", "image/jpeg"), 422, "image_too_small"),
    # Upright it is 700 wide: orientation counts.
    (
        "too small once upright",
        lambda: jpeg(1200, 700, exif=gps_exif(orientation=6)),
        ("photo.jpg", "image/jpeg"),
        422,
        "image_too_small",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "declared", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
async def test_refusals_carry_their_code_and_leave_nothing_behind(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    db: asyncpg.Connection,
    dirs: dict[str, Path],
    name: str,
    make: Callable[[], bytes],
    declared: tuple[str, str],
    status: int,
    code: str,
) -> None:
    rows, files = await _before(db, dirs["storage"])
    got_status, body = await upload(session, media.url, maker["token"], make(), *declared)
    assert (got_status, body.get("code")) == (status, code), body
    assert body["status"] == status and body["title"] and body["detail"]
    assert await _row_count(db) == rows
    assert stored_files(dirs["storage"]) == files
    assert list(dirs["tmp"].iterdir()) == []


async def test_over_the_size_limit_is_413_and_leaves_nothing(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    db: asyncpg.Connection,
    dirs: dict[str, Path],
) -> None:
    rows, files = await _before(db, dirs["storage"])
    too_big = jpeg(1000, 1000) + bytes(21 * 1024 * 1024)
    status, body = await upload(session, media.url, maker["token"], too_big)
    assert (status, body["code"]) == (413, "payload_too_large")

    async def chunked() -> Any:  # no Content-Length: the limit is found while streaming
        for start in range(0, len(too_big), 1024 * 1024):
            yield too_big[start : start + 1024 * 1024]

    writer = aiohttp.MultipartWriter("form-data")
    part = writer.append(chunked(), {"Content-Type": "image/jpeg"})
    part.set_content_disposition("form-data", name="file", filename="big.jpg")
    try:
        async with session.post(
            f"{media.url}/api/v1/images", data=writer, headers={"Authorization": f"Bearer {maker['token']}"}
        ) as response:
            assert response.status == 413
            assert (await response.json(content_type=None))["code"] == "payload_too_large"
    except aiohttp.ClientOSError:
        pass  # the server answered and closed while the body was still being sent: also a refusal
    assert await _row_count(db) == rows
    assert stored_files(dirs["storage"]) == files
    assert list(dirs["tmp"].iterdir()) == []


async def test_a_body_that_is_not_multipart_or_has_no_file_is_refused(
    media: ServiceProcess, session: aiohttp.ClientSession, maker: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {maker['token']}"}
    async with session.post(
        f"{media.url}/api/v1/images", data=jpeg(), headers={**headers, "Content-Type": "image/jpeg"}
    ) as response:
        assert response.status == 415
        assert (await response.json(content_type=None))["code"] == "multipart_required"
    form = aiohttp.FormData()
    form.add_field("photo", jpeg(), filename="photo.jpg", content_type="image/jpeg")
    async with session.post(f"{media.url}/api/v1/images", data=form, headers=headers) as response:
        assert response.status == 422
        assert (await response.json(content_type=None))["code"] == "file_required"
    form = aiohttp.FormData()
    form.add_field("note", "a field before the photo is read and dropped")
    form.add_field("file", jpeg(1000, 1000), filename="photo.jpg", content_type="image/jpeg")
    async with session.post(f"{media.url}/api/v1/images", data=form, headers=headers) as response:
        assert response.status == 202
    # A part whose header carries a control character is a malformed body (400), not an error.
    boundary = "b477308e5e524b1d458833aa6041ceb0"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\x12n"\r\n\r\n{{}}\r\n--{boundary}--\r\n'
    ).encode()
    bad = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    async with session.post(f"{media.url}/api/v1/images", data=body, headers=bad) as response:
        assert response.status == 400
        assert (await response.json(content_type=None))["code"] == "malformed_multipart"


# --- what processing does -------------------------------------------------------------------------


async def test_renditions_carry_no_metadata_and_stand_upright(
    media: ServiceProcess, session: aiohttp.ClientSession, maker: dict[str, Any]
) -> None:
    """A phone photo with its workshop's GPS position, an ICC profile, XMP and orientation 6
    (stored sideways, 1200 × 900): its renditions are 900 wide, upright, and carry nothing but
    pixels."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = jpeg(1200, 900, exif=gps_exif(orientation=6).tobytes(), icc_profile=SRGB_ICC, xmp=xmp)
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(0x8825), "the test photo carries GPS"
    status, body = await upload(session, media.url, maker["token"], data)
    assert status == 202, body
    ready = await processed(session, media.url, maker["token"], body["id"])
    assert ready["status"] == "ready"
    assert (ready["width"], ready["height"]) == (900, 1200)
    for url in ready["urls"].values():
        data = await download(session, media.url, url)
        rendition = Image.open(io.BytesIO(data))
        assert rendition.height > rendition.width, "upright"
        assert not set(chunks(data)) & {b"EXIF", b"XMP ", b"ICCP"}
        assert not rendition.getexif()
        assert (
            "icc_profile" not in rendition.info
            and "exif" not in rendition.info
            and "xmp" not in rendition.info
        )
        assert b"PhoneMaker" not in data and b"Exif" not in data and b"xmpmeta" not in data
    biggest = Image.open(io.BytesIO(await download(session, media.url, ready["urls"]["1600"])))
    assert biggest.size == (900, 1200), "never enlarged"


async def test_an_image_narrower_than_a_width_is_never_enlarged(
    media: ServiceProcess, session: aiohttp.ClientSession, maker: dict[str, Any]
) -> None:
    status, body = await upload(
        session, media.url, maker["token"], png(1000, 800, "RGB"), "p.png", "image/png"
    )
    assert status == 202
    ready = await processed(session, media.url, maker["token"], body["id"])
    sizes = {
        width: Image.open(io.BytesIO(await download(session, media.url, url))).size
        for width, url in ready["urls"].items()
    }
    assert sizes == {"160": (160, 128), "480": (480, 384), "960": (960, 768), "1600": (1000, 800)}


# --- who sees what --------------------------------------------------------------------------------


async def test_only_the_owner_or_an_operator_sees_an_image(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    test_env: Environment,
    db: asyncpg.Connection,
    mint: Callable[..., str],
) -> None:
    status, body = await upload(session, media.url, maker["token"], jpeg(1000, 1000))
    assert status == 202
    other = new_maker()
    await approve(test_env.namespace, db, other)
    url = f"{media.url}/api/v1/images/{body['id']}"
    for token, expected in (
        (mint("maker", other.user_id), 404),
        (mint("maker"), 404),
        (mint("customer"), 404),
        (mint("operator"), 200),
        (maker["token"], 200),
    ):
        async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == expected, await response.text()
    async with session.get(url) as response:
        assert response.status == 401
    async with session.get(
        f"{media.url}/api/v1/images/{uuid.uuid4()}", headers={"Authorization": f"Bearer {maker['token']}"}
    ) as response:
        assert response.status == 404


async def test_only_an_approved_maker_uploads(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    test_env: Environment,
    db: asyncpg.Connection,
    mint: Callable[..., str],
) -> None:
    submitted = new_maker()
    await approve(test_env.namespace, db, submitted, status="submitted")
    suspended = new_maker()
    await approve(test_env.namespace, db, suspended)
    await approve(test_env.namespace, db, suspended, status="suspended")
    rows = await _row_count(db)
    for token in (mint("maker", submitted.user_id), mint("maker", suspended.user_id), mint("maker")):
        status, body = await upload(session, media.url, token, jpeg(1000, 1000))
        assert (status, body["code"]) == (403, "maker_not_approved")
    assert await _row_count(db) == rows


async def test_a_customer_uploads_their_own_photo_deduplicated_per_customer(
    media: ServiceProcess,
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    db: asyncpg.Connection,
    mint: Callable[..., str],
) -> None:
    customer_id, other_id = uuid.uuid4(), uuid.uuid4()
    token, other = mint("customer", customer_id), mint("customer", other_id)
    data = jpeg(1000, 1000)
    status, body = await upload(session, media.url, token, data)
    assert status == 202, body
    ready = await processed(session, media.url, token, body["id"])
    assert ready["status"] == "ready" and set(ready["urls"]) == {"160", "480", "960", "1600"}
    row = await db.fetchrow(
        "SELECT maker_id, owner_user_id FROM media.images WHERE id = $1", uuid.UUID(body["id"])
    )
    assert row is not None and (row["maker_id"], row["owner_user_id"]) == (None, customer_id)
    # The same bytes again from the same customer are the same image; from another customer, or
    # from a maker, another image.
    assert (await upload(session, media.url, token, data))[1]["id"] == body["id"]
    status, theirs = await upload(session, media.url, other, data)
    assert status == 202 and theirs["id"] != body["id"]
    status, makers = await upload(session, media.url, maker["token"], data)
    assert status == 202 and makers["id"] not in (body["id"], theirs["id"])
    url = f"{media.url}/api/v1/images/{body['id']}"
    for viewer, expected in ((other, 404), (maker["token"], 404), (mint("operator"), 200), (token, 200)):
        async with session.get(url, headers={"Authorization": f"Bearer {viewer}"}) as response:
            assert response.status == expected, await response.text()


# --- serving renditions ---------------------------------------------------------------------------


async def test_renditions_are_served_immutable_with_an_etag_and_304(
    media: ServiceProcess, session: aiohttp.ClientSession, maker: dict[str, Any]
) -> None:
    _, body = await upload(session, media.url, maker["token"], jpeg(1000, 1000))
    ready = await processed(session, media.url, maker["token"], body["id"])
    url = media.url + ready["urls"]["480"]
    key = url.rsplit("/", 1)[1]
    async with session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/webp"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        etag = response.headers["ETag"]
        assert etag == f'"{key.removesuffix(".webp")}"'
        data = await response.read()
    assert hashlib.sha256(data).hexdigest() + ".webp" == key, "content-addressed"
    async with session.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 304
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Content-Type" not in response.headers
        assert await response.read() == b""
    async with session.get(url, headers={"If-None-Match": '"something-else"'}) as response:
        assert response.status == 200
    for missing in (
        "/media/" + "0" * 64 + ".webp",  # well formed, not stored
        "/media/" + key.removesuffix(".webp") + ".jpg",
        "/media/" + key.upper(),
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/originals",
        f"/media/{body['id']}",
    ):
        async with session.get(media.url + missing) as response:
            assert response.status == 404, missing
            assert response.headers["Content-Type"].startswith("application/problem+json")
