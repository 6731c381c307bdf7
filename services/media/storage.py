"""Where originals and renditions are kept: a port (`MediaStorage`) with two adapters.

Every object is content-addressed: its key is the sha256 of its bytes (renditions:
`<sha256>.webp`; originals: `originals/<sha256>`), so an object never changes once written,
writing it again is harmless, and a rendition can be cached for a year.

    DirectoryStorage  a directory on local disk (a volume in compose and Kubernetes); files are
                      written to a temporary name and renamed, so a reader never sees half of one
    S3Storage         an S3-compatible bucket (aiobotocore)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from aiobotocore.session import get_session  # type: ignore[import-untyped]
from aiohttp import web
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from cachetools import LRUCache

from services.media.settings import MEDIA_SETTINGS, MediaSettings

RENDITION_KEY = re.compile(r"^[0-9a-f]{64}\.webp$")
ORIGINALS = "originals/"

# Renditions are immutable (a new picture is a new key): browsers and CDNs keep them a year.
IMMUTABLE = "public, max-age=31536000, immutable"
_CHUNK_BYTES = 256 * 1024


def original_key(sha256: str) -> str:
    return ORIGINALS + sha256


def rendition_etag(key: str) -> str:
    """The ETag of a rendition: its content hash, which is its key."""
    return '"' + key.removesuffix(".webp") + '"'


def rendition_headers(key: str) -> dict[str, str]:
    return {
        "Content-Type": "image/webp",
        "Cache-Control": IMMUTABLE,
        "ETag": rendition_etag(key),
        "X-Content-Type-Options": "nosniff",
    }


class MediaStorage(Protocol):
    """The media service's blob storage."""

    async def put_file(self, key: str, path: Path) -> None:
        """Store a file under `key` (nothing happens when the key is already stored)."""

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store bytes under `key` (nothing happens when the key is already stored)."""

    async def read(self, key: str) -> bytes:
        """The object's bytes; KeyError when there is none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the object, if there is one."""

    async def serve(self, request: web.Request, key: str) -> web.StreamResponse | None:
        """The response carrying the stored rendition `key`, with `rendition_headers`; None
        when there is no such object."""


# ------------------------------------------------------------------------ the directory adapter


class _ContentAddressedFile(web.FileResponse):
    """aiohttp's FileResponse (sendfile, ranges, HEAD), with the key's ETag instead of the one it
    derives from the file's modification time and size."""

    def __init__(self, path: str, key: str) -> None:
        super().__init__(path, headers=rendition_headers(key))
        self._content_etag = rendition_etag(key).strip('"')

    @property
    def etag(self) -> Any:
        return web.StreamResponse.etag.fget(self)  # type: ignore[attr-defined]

    @etag.setter
    def etag(self, value: Any) -> None:
        web.StreamResponse.etag.fset(self, self._content_etag)  # type: ignore[attr-defined]


class DirectoryStorage:
    """Objects as files under `root`, spread over 256 subdirectories by the first two hex digits of
    their hash (`root/ab/ab12….webp`, `root/originals/ab/ab12…`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = str(root)
        # Renditions seen on disk. An object never changes once written and is only ever removed
        # through `delete`, so a key found once needs no second look (a stat per GET otherwise).
        self._present: LRUCache[str, bool] = LRUCache(maxsize=100_000)

    def path(self, key: str) -> Path:
        folder, _, name = key.rpartition("/")
        return self.root / folder / name[:2] / name

    async def put_file(self, key: str, path: Path) -> None:
        await asyncio.to_thread(self._write, key, lambda out: _copy(path, out))

    async def put_bytes(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, key, lambda out: out.write(data))

    def _write(self, key: str, write: Any) -> None:
        target = self.path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    async def delete(self, key: str) -> None:
        self._present.pop(key, None)
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    async def serve(self, request: web.Request, key: str) -> web.StreamResponse | None:
        path = os.path.join(self._root, key[:2], key)
        if key not in self._present:
            # One stat on local disk, so a missing key is a problem+json 404 like every other.
            if not os.path.isfile(path):
                return None
            self._present[key] = True
        return _ContentAddressedFile(path, key)


def _copy(source: Path, out: Any) -> None:
    with source.open("rb") as src:
        shutil.copyfileobj(src, out, _CHUNK_BYTES)


# ------------------------------------------------------------------------------- the S3 adapter


class S3Storage:
    """Objects in one bucket of an S3-compatible service, through one aiobotocore client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    async def put_file(self, key: str, path: Path) -> None:
        if await self.exists(key):
            return
        with path.open("rb") as body:
            await self._client.put_object(Bucket=self.bucket, Key=key, Body=body)

    async def put_bytes(self, key: str, data: bytes) -> None:
        if await self.exists(key):
            return
        await self._client.put_object(Bucket=self.bucket, Key=key, Body=data)

    async def read(self, key: str) -> bytes:
        try:
            response = await self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                raise KeyError(key) from None
            raise
        async with response["Body"] as body:
            data: bytes = await body.read()
            return data

    async def exists(self, key: str) -> bool:
        try:
            await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await self._client.delete_object(Bucket=self.bucket, Key=key)

    async def serve(self, request: web.Request, key: str) -> web.StreamResponse | None:
        try:
            stored = await self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return None
            raise
        response = web.StreamResponse(headers=rendition_headers(key))
        response.content_length = stored["ContentLength"]
        await response.prepare(request)
        async with stored["Body"] as body:
            async for chunk in body.iter_chunks(_CHUNK_BYTES):
                await response.write(chunk)
        await response.write_eof()
        return response


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


@contextlib.asynccontextmanager
async def open_storage(settings: MediaSettings) -> AsyncIterator[MediaStorage]:
    """The storage the settings choose, open for as long as the context lasts."""
    if settings.storage == "directory":
        yield DirectoryStorage(settings.storage_dir)
        return
    secret = settings.s3_secret_access_key
    async with get_session().create_client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
    ) as client:
        yield S3Storage(client, settings.s3_bucket)


STORAGE = web.AppKey("media_storage", MediaStorage)


async def storage_context(app: web.Application) -> AsyncIterator[None]:
    """Open the configured storage for the process's life (`app[STORAGE]`)."""
    async with open_storage(app[MEDIA_SETTINGS]) as storage:
        app[STORAGE] = storage
        yield
