"""A maker's lifecycle vocabulary: its statuses, the history of status changes, and the events
the aggregate records.

States: draft -> submitted -> approved | rejected | changes_requested,
changes_requested -> submitted, approved <-> suspended, rejected -> draft (reopened, once the
waiting period after the rejection has passed). See docs/domain.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from services.makers.domain.profile import ValueObject


class MakerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    SUSPENDED = "suspended"


class HistoryEntry(ValueObject):
    """One status change, or a change of the approved maker's compliance fields (the status
    unchanged, the note saying what changed). Serialised as {from, to, at, by, note}; `from` is
    null at creation."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_status: MakerStatus | None = Field(alias="from")
    to_status: MakerStatus = Field(alias="to")
    at: AwareDatetime
    by: UUID
    note: str | None = None


MakerEventName = Literal[
    "created",
    "profile_updated",
    "submitted",
    "approved",
    "rejected",
    "changes_requested",
    "suspended",
    "reinstated",
    "reopened",
    "claims_updated",
    "claim_reviewed",
    "compliance_updated",
    "shipping_updated",
]


@dataclass(frozen=True)
class MakerEvent:
    """Something that happened to a maker; `status` and `version` are as it left the maker."""

    name: MakerEventName
    maker_id: UUID
    user_id: UUID
    status: MakerStatus
    version: int
    at: datetime
    by: UUID
    note: str | None = None
