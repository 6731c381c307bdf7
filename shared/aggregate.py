"""The one aggregate base: an id, a version and the events recorded since it was loaded.

An aggregate's commands check its state, change it, bump `version` (the store writes it over
the version it loaded: optimistic concurrency) and `record` a domain event. The use case that
saves the aggregate pulls the events and emits them through the unit of work's outbox, so a
change and its events commit together.
"""

from __future__ import annotations

from typing import Generic, TypeVar
from uuid import UUID

EventT = TypeVar("EventT")

_PENDING = "_pending_events"


class Aggregate(Generic[EventT]):
    """Base of every aggregate. Subclasses declare `id` and `version` (dataclass fields or
    attributes). The pending events live in the instance's `__dict__`, not in a field, so they
    are never persisted, serialised or compared."""

    id: UUID
    version: int

    @property
    def pending_events(self) -> list[EventT]:
        """Events recorded and not yet pulled, oldest first."""
        events: list[EventT] = self.__dict__.setdefault(_PENDING, [])
        return events

    def record(self, event: EventT) -> None:
        """Remember a fact the last command made true; the caller has bumped `version`."""
        self.pending_events.append(event)

    def pull_events(self) -> list[EventT]:
        """Hand the recorded events over (to the outbox) and forget them."""
        events = self.pending_events
        self.__dict__[_PENDING] = []
        return events
