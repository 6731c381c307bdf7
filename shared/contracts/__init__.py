"""Event contracts: the one envelope and a pydantic model per event type.

This package is the schema registry. Every event model subclasses `Event` and
names its `event_type` (`<service>.<aggregate>.<event>`) and `version`; the
routing key is `<event_type>.v<version>`. `docs/asyncapi.yaml` is generated from
the models registered here (`python -m shared.contracts.asyncapi`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


class Event(BaseModel):
    """The `data` of one event. Consumers ignore fields they do not know, so a
    producer may add fields within a version; removing or changing one needs a
    new version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            key = (cls.event_type, cls.version)
            if key in _REGISTRY and _REGISTRY[key].__qualname__ != cls.__qualname__:
                raise TypeError(f"event {key} registered twice")
            _REGISTRY[key] = cls

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.version}"


class Envelope(BaseModel):
    """What travels on the bus. `event_id` is also the AMQP message_id."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    producer: str
    aggregate_id: str
    aggregate_version: int = 0
    correlation_id: str
    causation_id: str | None = None
    # The W3C trace context of the span that emitted it (shared/tracing.py), so the consumer's
    # span joins the trace of the request that caused the event. Optional: older envelopes have
    # none.
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        aggregate_id: str,
        aggregate_version: int = 0,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        event_id = uuid.uuid4()
        return cls(
            event_id=event_id,
            type=event.event_type,
            version=event.version,
            occurred_at=datetime.now(UTC),
            producer=producer,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            # An event nobody asked for (a sweeper's, say) starts its own chain.
            correlation_id=correlation_id or str(event_id),
            causation_id=causation_id,
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"


def registered_events() -> dict[tuple[str, int], type[Event]]:
    return dict(_REGISTRY)


def load_contracts() -> dict[tuple[str, int], type[Event]]:
    """Import every contracts module, then return the registry of our events."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return {key: cls for key, cls in _REGISTRY.items() if cls.__module__.startswith(__name__)}


def event_class(event_type: str, version: int) -> type[Event] | None:
    return _REGISTRY.get((event_type, version))
