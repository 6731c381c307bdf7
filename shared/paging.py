"""The one way to page: `?limit=&cursor=` in, `{items, next_cursor}` out.

Cursors are opaque keyset positions (base64url JSON of the sort key of the last
item shown). Keyset paging never repeats or skips an item, even while rows are
added. A cursor that does not decode to the expected shape is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import bad_request

T = TypeVar("T")
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(24, ge=1, le=100, description="Items per page (1–100)")
    # The alphabet is documented, not enforced by pydantic: a cursor that does not decode is a
    # 400 `invalid_cursor` from decode_cursor, whatever its characters.
    cursor: str | None = Field(
        None,
        max_length=512,
        description="Opaque cursor from next_cursor (base64url, unpadded)",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: tuple[type, ...]) -> list[Any] | None:
    """The position in a cursor, checked against the expected types of its parts."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request("Invalid cursor", code="invalid_cursor") from None
    if (
        not isinstance(position, list)
        or len(position) != len(shape)
        or not all(
            isinstance(value, kind) or (kind is float and isinstance(value, int))
            for value, kind in zip(position, shape, strict=False)
        )
    ):
        raise bad_request("Invalid cursor", code="invalid_cursor")
    return position


def encode_time_id(position: tuple[datetime, UUID] | None) -> str | None:
    """The cursor after an item of a list ordered by (created_at, id); None at the end."""
    if position is None:
        return None
    at, item_id = position
    return encode_cursor([at.isoformat(), str(item_id)])


def decode_time_id(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (created_at, id) position in a cursor made by `encode_time_id`; 400 if it is not one."""
    position = decode_cursor(cursor, (str, str))
    if position is None:
        return None
    try:
        at = datetime.fromisoformat(position[0])
        item_id = UUID(position[1])
    except ValueError:
        raise bad_request("Invalid cursor", code="invalid_cursor") from None
    if at.tzinfo is None:
        raise bad_request("Invalid cursor", code="invalid_cursor")
    return at, item_id
