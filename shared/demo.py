"""Ids of demo data: uuid5 names in one namespace, so each service's seed gives the same
record the same id on every machine and in every run, without asking another service."""

from __future__ import annotations

import uuid

DEMO_NAMESPACE = uuid.UUID("6f1c2a4e-9b1d-5c3e-8f7a-2d4b6e8a0c1f")


def demo_id(kind: str, name: str) -> uuid.UUID:
    """The id of the demo `kind` named `name` (e.g. `demo_id("listing", "aurum-studio:3")`)."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{name}")
