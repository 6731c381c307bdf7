"""What an upload is, decided from its bytes alone (never its name or declared type).

An upload is read once, as it streams in: `UploadScan` keeps its size, its sha256, its first
and last bytes and whether any part of it looks like a document a browser would run or render
(HTML, script, SVG, PDF). Then `classify` says which accepted format it is:

- JPEG, PNG, WebP and HEIC/HEIF are accepted, by their magic numbers;
- anything else, and a "polyglot" (an image whose bytes also carry such a document, which a
  browser sniffing the content could take for the document), is `unsupported_media_type`;
- an accepted format cut short (a JPEG without its end-of-image marker, a PNG without IEND, a
  WebP whose RIFF size is not its length) is `image_corrupt`.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from services.media.domain.images import image_corrupt
from shared.errors import UnsupportedContent

UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    HEIF = "heif"

    @property
    def pillow_name(self) -> str:
        """The format's name in Pillow (`Image.open(..., formats=[...])`)."""
        return self.value.upper()


HEAD_BYTES = 64
TAIL_BYTES = 16

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_EOI = b"\xff\xd9"
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
# HEIF brands of still HEVC images; `mif1`/`msf1` are generic and also start AVIF files, so they
# count only alongside a HEVC brand.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})

# A document hidden in an image. `<svg` alone would turn up by chance in compressed pixel data
# about once in 2^29 bytes, so a tag counts only when a space, `>` or `/` ends its name.
_DOCUMENT_MARKERS = re.compile(rb"<(?:html|script|svg)[\s>/]|%PDF-", re.IGNORECASE)
_MARKER_OVERLAP = 8  # the longest marker less one: a marker split across two chunks is still seen


def sniff(head: bytes) -> ImageFormat | None:
    """The accepted format the first bytes of a file announce, if any."""
    if head.startswith(_JPEG_SOI):
        return ImageFormat.JPEG
    if head.startswith(_PNG_SIGNATURE):
        return ImageFormat.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in _WEBP_CHUNKS:
        return ImageFormat.WEBP
    if _is_heic(head):
        return ImageFormat.HEIF
    return None


def _is_heic(head: bytes) -> bool:
    """An ISO base media file whose `ftyp` box names a HEIC brand."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    brands_end = min(box_size, len(head))
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, brands_end - 3, 4)}
    if major in _HEIC_BRANDS:
        return True
    return major in _GENERIC_HEIF_BRANDS and bool(compatible & _HEIC_BRANDS)


def is_complete(image_format: ImageFormat, head: bytes, tail: bytes, size: int) -> bool:
    """Whether the file ends where its format says it ends (a cheap check for a cut-off upload;
    HEIF has no trailer, so it is left to the decoder)."""
    if image_format is ImageFormat.JPEG:
        return tail.rstrip(b"\x00").endswith(_JPEG_EOI)
    if image_format is ImageFormat.PNG:
        return tail.endswith(_PNG_IEND)
    if image_format is ImageFormat.WEBP:
        return int.from_bytes(head[4:8], "little") + 8 == size
    return True


class UploadScan:
    """Everything `classify` needs, gathered chunk by chunk as an upload streams in."""

    def __init__(self) -> None:
        self.size = 0
        self.head = b""
        self.tail = b""
        self.has_document_marker = False
        self._sha256 = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        if not self.has_document_marker:
            overlap = self.tail[-_MARKER_OVERLAP:]
            self.has_document_marker = _DOCUMENT_MARKERS.search(overlap + chunk) is not None
        self.tail = (self.tail + chunk)[-TAIL_BYTES:]
        self.size += len(chunk)
        self._sha256.update(chunk)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


def classify(scan: UploadScan) -> ImageFormat:
    """The upload's format: 415 `unsupported_media_type` unless its bytes are a JPEG, PNG, WebP
    or HEIC image and nothing else; 422 `image_corrupt` when it is cut short."""
    image_format = sniff(scan.head)
    if image_format is None:
        raise UnsupportedContent(
            "The file is not a JPEG, PNG, WebP or HEIC photo", code=UNSUPPORTED_MEDIA_TYPE
        )
    if scan.has_document_marker:
        raise UnsupportedContent(
            "The file carries a web page, script, SVG or PDF inside the image", code=UNSUPPORTED_MEDIA_TYPE
        )
    if not is_complete(image_format, scan.head, scan.tail, scan.size):
        raise image_corrupt("The file ends before the image does: it was cut short")
    return image_format
