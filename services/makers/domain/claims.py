"""Sourcing claims and their evidence: what status a claim has, and an operator's review of its
evidence.

A claim without a certificate id or evidence URL is `self_declared`. A claim with evidence is
`pending_verification` until an operator has looked at that evidence, and only then `evidenced`
(or `rejected`). A review is of one exact claim: a claim that changes in any way (new evidence,
a later expiry: a renewal) is a new claim, pending again. See docs/domain.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime

from services.makers.domain.profile import EvidenceStatus, SourcingClaim, ValueObject

ClaimDecision = Literal["verified", "rejected"]

_REVIEWED_STATUS: dict[ClaimDecision, EvidenceStatus] = {"verified": "evidenced", "rejected": "rejected"}


class ClaimReview(ValueObject):
    """An operator's decision on the evidence of one exact claim."""

    claim: SourcingClaim
    decision: ClaimDecision
    at: AwareDatetime
    by: UUID
    note: str | None = None

    @property
    def status(self) -> EvidenceStatus:
        return _REVIEWED_STATUS[self.decision]


def claim_status(claim: SourcingClaim, reviews: Sequence[ClaimReview]) -> EvidenceStatus:
    """The claim's status given the reviews on record (the latest review of that exact claim)."""
    if not claim.has_evidence:
        return "self_declared"
    review = next((r for r in reversed(reviews) if r.claim == claim), None)
    return "pending_verification" if review is None else review.status


def reviews_still_relevant(
    claims: Sequence[SourcingClaim], reviews: Sequence[ClaimReview]
) -> list[ClaimReview]:
    """The reviews of claims the maker still holds: a removed or changed claim's review goes."""
    return [review for review in reviews if review.claim in claims]


def reapply_from(rejected_at: datetime, reapply_after_days: int) -> datetime:
    """When a rejected maker may reopen their application: `reapply_after_days` after the
    rejection, to the second (exactly then is allowed)."""
    return rejected_at + timedelta(days=reapply_after_days)
