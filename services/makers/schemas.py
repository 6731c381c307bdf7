"""Request and response models of the makers HTTP API (beyond the domain's own profile, patch
and views, which are the bodies of most routes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.makers.domain import (
    NOTE_MAX_LENGTH,
    MakerStatus,
    OwnerMakerView,
    PublicMakerView,
    SourcingClaim,
)
from services.makers.domain.profile import MAX_SOURCING_CLAIMS
from shared.paging import PageQuery


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(_Body):
    decision: Literal["approve", "reject", "request_changes"]
    note: str | None = Field(
        None,
        max_length=NOTE_MAX_LENGTH,
        description="Why; required to reject or to request changes",
    )


class SuspendIn(_Body):
    reason: str = Field(min_length=1, max_length=NOTE_MAX_LENGTH)


class ReinstateIn(_Body):
    note: str | None = Field(None, max_length=NOTE_MAX_LENGTH)


class ClaimReviewIn(_Body):
    decision: Literal["verified", "rejected"]
    note: str | None = Field(
        None, max_length=NOTE_MAX_LENGTH, description="Why; required to reject the evidence"
    )


class ClaimsIn(RootModel[list[SourcingClaim]]):
    """Every sourcing claim the maker holds (the list replaces the current one)."""

    root: list[SourcingClaim] = Field(max_length=MAX_SOURCING_CLAIMS)


class MakerListQuery(PageQuery):
    status: MakerStatus | None = Field(
        None, description="Operators only: list makers in this status (default: approved)"
    )
    evidence: Literal["pending_verification"] | None = Field(
        None,
        description="Operators only: the evidence queue, makers with a claim whose evidence waits "
        "for verification (oldest record first; drafts and rejected applications left out); not "
        "combined with `status`",
    )


class MakerView(RootModel[OwnerMakerView | PublicMakerView]):
    """The owner's and operators' full record, or the public view of an approved maker."""
