"""Serialisation of domain objects for the store and the HTTP layer: `to_json` gives JSON-ready
data, `from_json` rebuilds (and validates) a domain object from it."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic_core
from pydantic import TypeAdapter

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """JSON-ready form of any domain object (UUIDs, Decimals and datetimes become strings)."""
    return pydantic_core.to_jsonable_python(value)


# Building an adapter walks the whole class; one per class, built at first use.
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild a domain object (an aggregate with its children, a snapshot...) from `to_json`
    output or from a database row's JSON columns."""
    adapter = _ADAPTERS.get(cls) or _ADAPTERS.setdefault(cls, TypeAdapter(cls))
    value: T = adapter.validate_python(data)
    return value
