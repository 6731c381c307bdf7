"""The media domain: what an upload is (formats), the limits a photo keeps, its renditions and
its life (images). Pure: no I/O; Pillow's decoding lives in services/media/processing.py."""

from services.media.domain.formats import (
    UNSUPPORTED_MEDIA_TYPE,
    ImageFormat,
    UploadScan,
    classify,
    is_complete,
    sniff,
)
from services.media.domain.images import (
    IMAGE_CORRUPT,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_SMALL,
    PLACEHOLDER_WIDTH,
    Image,
    ImageLimits,
    ImageStatus,
    check_dimensions,
    image_corrupt,
    rendition_sizes,
    scaled_height,
)

__all__ = [
    "IMAGE_CORRUPT",
    "IMAGE_TOO_LARGE",
    "IMAGE_TOO_SMALL",
    "PLACEHOLDER_WIDTH",
    "UNSUPPORTED_MEDIA_TYPE",
    "Image",
    "ImageFormat",
    "ImageLimits",
    "ImageStatus",
    "UploadScan",
    "check_dimensions",
    "classify",
    "image_corrupt",
    "is_complete",
    "rendition_sizes",
    "scaled_height",
    "sniff",
]
