"""What every orders aggregate shares: the domain events it records, its timeline, and the
version bump that goes with each change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from services.orders.domain.serialisation import to_json
from shared.aggregate import Aggregate


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DomainEvent:
    """A fact an aggregate recorded; `data` is JSON-ready for the outbox.

    Its routing key is `orders.<aggregate_type>.<name>.v1`.
    """

    aggregate_type: str
    name: str
    aggregate_id: uuid.UUID
    aggregate_version: int
    occurred_at: datetime
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return f"orders.{self.aggregate_type}.{self.name}"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    note: str


class OrdersAggregate(Aggregate[DomainEvent]):
    """What orders' aggregates add to the shared base (shared/aggregate.py): every change bumps
    the version and writes a timeline entry, and most also record a `DomainEvent`."""

    aggregate_type: ClassVar[str]
    status: StrEnum
    timeline: list[TimelineEntry]

    def _changed(self, at: datetime, note: str) -> None:
        """A change worth a timeline entry but not an event (e.g. a refund issued)."""
        self.version += 1
        self.timeline.append(TimelineEntry(at=at, status=self.status.value, note=note))

    def _record(self, name: str, at: datetime, note: str, **data: Any) -> None:
        self._changed(at, note)
        self.record(
            DomainEvent(
                aggregate_type=self.aggregate_type,
                name=name,
                aggregate_id=self.id,
                aggregate_version=self.version,
                occurred_at=at,
                data=to_json(data),
            )
        )
